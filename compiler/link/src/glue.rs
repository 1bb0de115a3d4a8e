//! The generated C: the glue translation unit (step table, input/output
//! layout, the prefixed API wrapping the runtime) and the public header.

use crate::api::PREFIX_SYMBOL;
use crate::{LinkError, Target, header, steps};
use std::fmt::Write as _;
use vitc_lower::{IoSlot, Program, kernel_symbol, weights_symbol};

/// Name under which the glue includes the header (it is written under the
/// output's own name next to the output).
pub(crate) const HEADER_INCLUDE: &str = "vitc_model.h";

/// The C sources of one library besides the runtime ([`crate::RUNTIME_C`],
/// [`crate::RUNTIME_H`]).
#[derive(Clone, Debug)]
pub struct CSources {
    /// The public header (`NAME.h`).
    pub header: String,
    /// The glue translation unit; it includes `vitc_runtime.c` and the header
    /// as `vitc_model.h`.
    pub glue: String,
}

/// What the C API exposes of a program, checked.
pub(crate) struct ModelIo<'a> {
    pub input: &'a IoSlot,
    pub output: &'a IoSlot,
    pub dynamic: bool,
    /// The largest `batch` argument of a run (1 for static shapes).
    pub max_batch: usize,
}

impl<'a> ModelIo<'a> {
    /// Checks that the program fits the C API: one input, one output, a
    /// leading batch axis, slots inside the arena.
    pub fn of(program: &'a Program) -> Result<ModelIo<'a>, LinkError> {
        let unsupported = |m: String| Err(LinkError::Unsupported(m));
        let ([input], [output]) = (program.inputs.as_slice(), program.outputs.as_slice()) else {
            return unsupported(format!(
                "the C API has one input and one output; this model has {} input(s) and {} output(s)",
                program.inputs.len(),
                program.outputs.len()
            ));
        };
        for (what, slot) in [("input", input), ("output", output)] {
            if slot.dtype != vitc_lower::DType::F32 {
                return Err(LinkError::NonF32Io { what, name: slot.name.clone(), dtype: slot.dtype });
            }
            if slot.dims.is_empty() {
                return unsupported(format!("{what} '{}' is a scalar; the first axis must be the batch", slot.name));
            }
            if slot.is_empty() || slot.dims.iter().any(|&d| i32::try_from(d).is_err()) {
                return unsupported(format!("{what} '{}' has unsupported dims {:?}", slot.name, slot.dims));
            }
            if program.batch.dynamic && slot.dims[0] != 1 {
                return unsupported(format!(
                    "{what} '{}' of a dynamic-batch program has dims {:?}; the batch axis must be 1 per image",
                    slot.name, slot.dims
                ));
            }
            if slot.offset.checked_add(slot.len()).is_none_or(|end| end > program.arena_len) {
                return unsupported(format!(
                    "{what} '{}' ({} elements at {}) lies outside the arena ({} elements)",
                    slot.name,
                    slot.len(),
                    slot.offset,
                    program.arena_len
                ));
            }
        }
        let max_batch = if program.batch.dynamic { program.batch.max_batch } else { 1 };
        if max_batch == 0 || i32::try_from(max_batch).is_err() {
            return unsupported(format!("max batch {max_batch} is outside 1..{}", i32::MAX));
        }
        Ok(ModelIo { input, output, dynamic: program.batch.dynamic, max_batch })
    }
}

/// `s` as a C string literal.
pub(crate) fn c_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e if b != b'?' => out.push(b as char),
            // Octal escapes of three digits never run into the next character;
            // `?` is escaped so no trigraph can form.
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

fn dims_array(name: &str, dims: &[usize]) -> String {
    let dims: Vec<String> = dims.iter().map(usize::to_string).collect();
    format!("static const int64_t {name}[{}] = {{{}}};\n", dims.len(), dims.join(", "))
}

/// The glue and header sources for `program` with API prefix `prefix`;
/// `library` is the output's file stem, for the header's linking notes.
pub fn c_sources(program: &Program, prefix: &str, target: Target, library: &str) -> Result<CSources, LinkError> {
    crate::validate_prefix(prefix)?;
    let io = ModelIo::of(program)?;
    let header = header::header_source(program, &io, prefix, target, library);
    let mut g = String::new();
    let name = c_string(&program.name).replace("*/", "* /");
    let _ = writeln!(g, "/* Glue of the vitc-compiled model {name} (prefix {prefix}); generated, do not edit. */");
    g.push_str("#include \"vitc_runtime.c\"\n");
    let _ = writeln!(g, "#include \"{HEADER_INCLUDE}\"\n");
    g.push_str("#define VITC_PUBLIC __attribute__((visibility(\"default\")))\n");
    g.push_str("#define VITC_INTERNAL __attribute__((visibility(\"hidden\")))\n\n");
    g.push_str("/* Defined by the backend's object. */\n");
    let weights = weights_symbol(prefix);
    let _ = writeln!(g, "extern VITC_INTERNAL const float {weights}[];");
    for i in 0..program.kernels.len() {
        let f = kernel_symbol(prefix, i);
        let _ = writeln!(g, "extern VITC_INTERNAL void {f}(float *, const float *, uint64_t, uint64_t);");
    }
    let _ = writeln!(g, "\nstatic const vitc_step vitc_steps[{}] = {{", program.kernels.len().max(1));
    for (i, k) in program.kernels.iter().enumerate() {
        let f = kernel_symbol(prefix, i);
        let _ = writeln!(g, "    {{{f}, {}u, {}u}}, /* {} */", k.extent(), steps::max_chunks(k), k.name());
    }
    if program.kernels.is_empty() {
        g.push_str("    {0, 0u, 1u}, /* no kernels */\n");
    }
    g.push_str("};\n");
    g.push_str(&dims_array("vitc_input_dims", &io.input.dims));
    g.push_str(&dims_array("vitc_output_dims", &io.output.dims));
    let slot =
        |slot: &IoSlot, dims: &str| format!("{{{}u, {}u, {}, {dims}}}", slot.offset, slot.len(), slot.dims.len());
    let _ = write!(
        g,
        "static const vitc_model vitc_this_model = {{\n    {}, {},\n    vitc_steps, {}u, {weights}, {}u,\n    \
         {},\n    {},\n    {}, {},\n}};\n\n",
        c_string(prefix),
        c_string(&program.name),
        program.kernels.len(),
        program.arena_len,
        slot(io.input, "vitc_input_dims"),
        slot(io.output, "vitc_output_dims"),
        i32::from(io.dynamic),
        io.max_batch,
    );
    let _ = writeln!(
        g,
        "__attribute__((weak, visibility(\"default\"))) const char {PREFIX_SYMBOL}[] = {};\n",
        c_string(prefix)
    );
    let p = prefix;
    let (model, input, output) = ("&vitc_this_model", "&vitc_this_model.input", "&vitc_this_model.output");
    let api = [
        (
            format!("{p}_context *{p}_create(int threads)"),
            format!("return ({p}_context *)vitc_rt_create({model}, threads);"),
        ),
        (
            format!("int {p}_run({p}_context *ctx, const float *input, float *output, int batch)"),
            format!("return vitc_rt_run({model}, (vitc_rt_context *)ctx, input, output, batch);"),
        ),
        (format!("void {p}_destroy({p}_context *ctx)"), "vitc_rt_destroy((vitc_rt_context *)ctx);".into()),
        (format!("const char *{p}_last_error(void)"), "return vitc_rt_last_error();".into()),
        (format!("int {p}_input_rank(void)"), "return vitc_this_model.input.rank;".into()),
        (format!("int {p}_input_dim(int axis)"), format!("return vitc_rt_dim({model}, {input}, axis);")),
        (format!("size_t {p}_input_len(void)"), "return vitc_this_model.input.len;".into()),
        (format!("int {p}_output_rank(void)"), "return vitc_this_model.output.rank;".into()),
        (format!("int {p}_output_dim(int axis)"), format!("return vitc_rt_dim({model}, {output}, axis);")),
        (format!("size_t {p}_output_len(void)"), "return vitc_this_model.output.len;".into()),
        (format!("int {p}_max_batch(void)"), "return vitc_this_model.max_batch;".into()),
        (format!("const char *{p}_name(void)"), "return vitc_this_model.name;".into()),
    ];
    for (signature, body) in api {
        let _ = writeln!(g, "VITC_PUBLIC {signature} {{\n    {body}\n}}");
    }
    Ok(CSources { header, glue: g })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_strings() {
        assert_eq!(c_string("levit"), "\"levit\"");
        assert_eq!(c_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(c_string("é?\n"), "\"\\303\\251\\077\\012\"");
    }
}
