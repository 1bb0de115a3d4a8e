//! Parsing the text form back into a graph.

use crate::attr::{Attr, Attrs};
use crate::dim::{Dim, Shape, shape_sizes};
use crate::dtype::DType;
use crate::error::{IrError, IrResult};
use crate::graph::{Graph, Node, Value, ValueType, Weights};
use crate::op::OpKind;
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;
use std::sync::Arc;

/// Parses the text form. Constants printed as `@"name"` are looked up in
/// `weights` (their tensors are shared, not copied).
pub fn parse_graph(text: &str, weights: &Weights) -> IrResult<Graph> {
    let mut graph = Graph::default();
    let mut values: HashMap<String, Value> = HashMap::new();
    let mut header_seen = false;
    let mut closed = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| IrError::Parse { line: line_no, message };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if closed {
            return Err(err("text after the closing '}'".into()));
        }
        let mut cur = Cursor::new(line);
        if !header_seen {
            if !cur.eat_word("graph") {
                return Err(err("expected 'graph NAME {'".into()));
            }
            graph.name = cur.name().map_err(&err)?;
            cur.expect('{').map_err(&err)?;
            header_seen = true;
        } else if line == "}" {
            closed = true;
            continue;
        } else if cur.eat_word("return") {
            loop {
                let v = cur.value_ref(&values).map_err(&err)?;
                let name = cur.string().map_err(&err)?;
                graph.outputs.push((name, v));
                if !cur.eat(',') {
                    break;
                }
            }
        } else {
            parse_node(&mut cur, &mut graph, &mut values, weights).map_err(&err)?;
        }
        if !cur.at_end() {
            return Err(err(format!("unexpected text '{}'", cur.rest())));
        }
    }
    if !closed {
        return Err(IrError::Parse { line: text.lines().count(), message: "missing closing '}'".into() });
    }
    Ok(graph)
}

fn parse_node(
    cur: &mut Cursor<'_>,
    graph: &mut Graph,
    values: &mut HashMap<String, Value>,
    weights: &Weights,
) -> Result<(), String> {
    let mut results: Vec<(String, ValueType)> = Vec::new();
    loop {
        let name = cur.value_name()?;
        cur.expect(':')?;
        let ty = cur.value_type()?;
        results.push((name, ty));
        if !cur.eat(',') {
            break;
        }
    }
    cur.expect('=')?;
    let op_name = cur.ident()?;
    let op = OpKind::from_name(&op_name).ok_or_else(|| format!("unknown op '{op_name}'"))?;
    let outputs: Vec<ValueType> = results.iter().map(|(_, t)| t.clone()).collect();
    let (node, operands) = match op {
        OpKind::Input => {
            let name = cur.string()?;
            (Node { name, op, attrs: Attrs::new(), weight: None, outputs }, vec![])
        }
        OpKind::Const => {
            let ty = outputs.first().ok_or("const needs one result")?.clone();
            let id = if cur.eat('@') {
                let wname = cur.string()?;
                let id = weights.find(&wname).ok_or_else(|| format!("weight '{wname}' is not in the weight table"))?;
                let t = &weights.get(id).tensor;
                if t.dtype() != ty.dtype || t.shape() != ty.shape {
                    return Err(format!("weight '{wname}' is {}{:?}, declared {ty}", t.dtype(), t.dims()));
                }
                graph.weights.add(&wname, t.clone())
            } else {
                let tensor = cur.inline_tensor(&ty)?;
                graph.weights.add(&results[0].0.replace('%', "c"), Arc::new(tensor))
            };
            let name = graph.weights.get(id).name.clone();
            (Node { name, op, attrs: Attrs::new(), weight: Some(id), outputs }, vec![])
        }
        _ => {
            cur.expect('(')?;
            let mut operands = Vec::new();
            if !cur.eat(')') {
                loop {
                    if cur.eat('_') {
                        operands.push(None);
                    } else {
                        operands.push(Some(cur.value_ref(values)?));
                    }
                    if cur.eat(')') {
                        break;
                    }
                    cur.expect(',')?;
                }
            }
            let attrs = if cur.eat('{') { cur.attrs()? } else { Attrs::new() };
            (Node { name: String::new(), op, attrs, weight: None, outputs }, operands)
        }
    };
    let is_input = op == OpKind::Input;
    let id = graph.add_node(node, &operands);
    if is_input {
        graph.inputs.push(id);
    }
    for (port, (name, _)) in results.into_iter().enumerate() {
        if values.insert(name.clone(), Value { node: id, port }).is_some() {
            return Err(format!("value {name} is defined twice"));
        }
    }
    Ok(())
}

/// Parses attribute text as printed by `Attrs`'s `Display` (`{axis=-1, ...}`).
pub fn parse_attrs(text: &str) -> Result<Attrs, String> {
    let mut cur = Cursor::new(text);
    cur.expect('{')?;
    let attrs = cur.attrs()?;
    if !cur.at_end() {
        return Err(format!("unexpected text '{}' after the attributes", cur.rest()));
    }
    Ok(attrs)
}

/// A character cursor over one line.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.rest().is_empty()
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected '{c}' at '{}'", self.rest())) }
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        self.skip_ws();
        let rest = self.rest();
        let n = rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        self.pos += n;
        &rest[..n]
    }

    fn ident(&mut self) -> Result<String, String> {
        let s = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
        if s.is_empty() { Err(format!("expected a name at '{}'", self.rest())) } else { Ok(s.to_string()) }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if rest.starts_with(word) && !rest[word.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// A bare identifier or a quoted string.
    fn name(&mut self) -> Result<String, String> {
        if self.peek() == Some('"') { self.string() } else { self.ident() }
    }

    /// A double-quoted string with Rust-style escapes.
    fn string(&mut self) -> Result<String, String> {
        self.expect('"')?;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, '0')) => out.push('\0'),
                    Some((_, 'u')) => {
                        let hex: String = chars.by_ref().map(|(_, c)| c).skip(1).take_while(|c| *c != '}').collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|_| format!("bad escape \\u{{{hex}}}"))?;
                        out.push(char::from_u32(code).ok_or("bad unicode escape")?);
                    }
                    Some((_, other)) => out.push(other),
                    None => break,
                },
                other => out.push(other),
            }
        }
        Err("unterminated string".into())
    }

    fn value_name(&mut self) -> Result<String, String> {
        self.expect('%')?;
        Ok(format!("%{}", self.ident()?))
    }

    fn value_ref(&mut self, values: &HashMap<String, Value>) -> Result<Value, String> {
        let name = self.value_name()?;
        values.get(&name).copied().ok_or_else(|| format!("value {name} is used before it is defined"))
    }

    fn value_type(&mut self) -> Result<ValueType, String> {
        let dt = self.ident()?;
        let dtype = DType::from_name(&dt).ok_or_else(|| format!("unknown dtype '{dt}'"))?;
        self.expect('[')?;
        let body = self.take_while(|c| c != ']');
        self.expect(']')?;
        let shape: Shape = if body.trim().is_empty() {
            Vec::new()
        } else {
            body.split(',')
                .map(|d| Dim::parse(d).ok_or_else(|| format!("bad dimension '{d}'")))
                .collect::<Result<_, _>>()?
        };
        Ok(ValueType::new(dtype, shape))
    }

    /// Comma-separated tokens between `[` and `]`.
    fn list_tokens(&mut self) -> Result<Vec<&'a str>, String> {
        self.expect('[')?;
        let body = self.take_while(|c| c != ']');
        self.expect(']')?;
        Ok(if body.trim().is_empty() { Vec::new() } else { body.split(',').map(str::trim).collect() })
    }

    fn inline_tensor(&mut self, ty: &ValueType) -> Result<Tensor, String> {
        let dims = shape_sizes(&ty.shape).ok_or("inline constants need a static shape")?;
        let tokens = self.list_tokens()?;
        let bad = |t: &str| format!("'{t}' is not a {} value", ty.dtype);
        let shape = IxDyn(&dims);
        let shape_err = |e: ndarray::ShapeError| format!("constant does not match its type {ty}: {e}");
        Ok(match ty.dtype {
            DType::F32 => Tensor::F32(
                ArrayD::from_shape_vec(
                    shape,
                    tokens.iter().map(|t| parse_f32(t).ok_or_else(|| bad(t))).collect::<Result<_, _>>()?,
                )
                .map_err(shape_err)?,
            ),
            DType::I64 => Tensor::I64(
                ArrayD::from_shape_vec(
                    shape,
                    tokens.iter().map(|t| t.parse().map_err(|_| bad(t))).collect::<Result<_, _>>()?,
                )
                .map_err(shape_err)?,
            ),
            DType::I32 => Tensor::I32(
                ArrayD::from_shape_vec(
                    shape,
                    tokens.iter().map(|t| t.parse().map_err(|_| bad(t))).collect::<Result<_, _>>()?,
                )
                .map_err(shape_err)?,
            ),
            DType::Bool => Tensor::Bool(
                ArrayD::from_shape_vec(
                    shape,
                    tokens.iter().map(|t| t.parse().map_err(|_| bad(t))).collect::<Result<_, _>>()?,
                )
                .map_err(shape_err)?,
            ),
        })
    }

    /// `key=value, ...}` (the `{` already eaten).
    fn attrs(&mut self) -> Result<Attrs, String> {
        let mut attrs = Attrs::new();
        if self.eat('}') {
            return Ok(attrs);
        }
        loop {
            let key = self.ident()?;
            self.expect('=')?;
            let value = match self.peek() {
                Some('"') => Attr::Str(self.string()?),
                Some('[') => Attr::Ints(
                    self.list_tokens()?
                        .iter()
                        .map(|t| t.parse().map_err(|_| format!("'{t}' is not an int")))
                        .collect::<Result<_, _>>()?,
                ),
                Some('f') if self.rest().starts_with("f[") => {
                    self.pos += 1;
                    Attr::Floats(
                        self.list_tokens()?
                            .iter()
                            .map(|t| parse_f32(t).ok_or_else(|| format!("'{t}' is not a float")))
                            .collect::<Result<_, _>>()?,
                    )
                }
                _ => {
                    let tok = self.take_while(|c| !matches!(c, ',' | '}') && !c.is_whitespace());
                    if let Ok(i) = tok.parse::<i64>() {
                        Attr::Int(i)
                    } else {
                        Attr::Float(parse_f32(tok).ok_or_else(|| format!("'{tok}' is not an attribute value"))?)
                    }
                }
            };
            attrs.set(&key, value);
            if self.eat('}') {
                return Ok(attrs);
            }
            self.expect(',')?;
        }
    }
}

fn parse_f32(t: &str) -> Option<f32> {
    match t {
        "nan" => Some(f32::NAN),
        "inf" => Some(f32::INFINITY),
        "-inf" => Some(f32::NEG_INFINITY),
        _ => t.parse().ok(),
    }
}
