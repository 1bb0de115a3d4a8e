//! A small PTX text builder: typed virtual registers, labels, loops and
//! address helpers. Every instruction goes on its own line in one regular
//! form (`op.modifiers dst, src, ...;`, optionally guarded by `@%p` or
//! `@!%p`), so the text stays easy to read and to check.
//!
//! Register classes: `%f` (`.f32`), `%r` (`.b32`, used as `u32`/`s32`),
//! `%rd` (`.b64`) and `%p` (`.pred`). Their declarations are written by
//! [`Body::finish`] once the counts are known.

use std::fmt::{self, Display, Write};

/// An `.f32` register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct F(u32);
/// A `.b32` register (used as `u32` or `s32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct R(u32);
/// A `.b64` register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct D(u32);
/// A `.pred` register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct P(u32);
/// A branch target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(u32);

impl Display for F {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%f{}", self.0)
    }
}
impl Display for R {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%r{}", self.0)
    }
}
impl Display for D {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%rd{}", self.0)
    }
}
impl Display for P {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%p{}", self.0)
    }
}
impl Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// An f32 immediate in PTX's exact hexadecimal form (`0f3F800000`).
pub fn fimm(v: f32) -> String {
    format!("0f{:08X}", v.to_bits())
}

/// The body of one `.entry` under construction.
pub struct Body {
    text: String,
    nf: u32,
    nr: u32,
    nd: u32,
    np: u32,
    labels: u32,
    /// Shared memory the kernel declares, in bytes (0: none).
    pub shared_bytes: usize,
}

impl Body {
    pub fn new() -> Body {
        Body { text: String::new(), nf: 0, nr: 0, nd: 0, np: 0, labels: 0, shared_bytes: 0 }
    }

    pub fn f(&mut self) -> F {
        self.nf += 1;
        F(self.nf)
    }
    pub fn r(&mut self) -> R {
        self.nr += 1;
        R(self.nr)
    }
    pub fn d(&mut self) -> D {
        self.nd += 1;
        D(self.nd)
    }
    pub fn p(&mut self) -> P {
        self.np += 1;
        P(self.np)
    }
    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels)
    }

    /// Appends one instruction (without the trailing `;`).
    pub fn ins(&mut self, line: impl AsRef<str>) {
        let _ = writeln!(self.text, "\t{};", line.as_ref());
    }

    /// Places a label here.
    pub fn place(&mut self, l: Label) {
        let _ = writeln!(self.text, "{l}:");
    }

    pub fn bra(&mut self, l: Label) {
        self.ins(format!("bra.uni {l}"));
    }

    /// Branches to `l` when `p` holds.
    pub fn bra_if(&mut self, p: P, l: Label) {
        self.ins(format!("@{p} bra {l}"));
    }

    /// Branches to `l` when `p` does not hold.
    pub fn bra_unless(&mut self, p: P, l: Label) {
        self.ins(format!("@!{p} bra {l}"));
    }

    /// A new `.f32` register holding `v`.
    pub fn fconst(&mut self, v: f32) -> F {
        let d = self.f();
        self.ins(format!("mov.f32 {d}, {}", fimm(v)));
        d
    }

    /// A new `.b32` register holding `v`.
    pub fn rconst(&mut self, v: i64) -> R {
        let d = self.r();
        self.ins(format!("mov.b32 {d}, {v}"));
        d
    }

    /// `d = op a, b` into a new `.b32` register (e.g. `add.s32`, `mul.lo.u32`,
    /// `div.u32`); operands may be registers or immediates.
    pub fn rop(&mut self, op: &str, a: impl Display, b: impl Display) -> R {
        let d = self.r();
        self.ins(format!("{op} {d}, {a}, {b}"));
        d
    }

    /// `d = a * b + c` (`mad.lo.s32`).
    pub fn rmad(&mut self, a: impl Display, b: impl Display, c: impl Display) -> R {
        let d = self.r();
        self.ins(format!("mad.lo.s32 {d}, {a}, {b}, {c}"));
        d
    }

    /// A predicate from `setp.{cmp}.{ty} a, b`.
    pub fn setp(&mut self, cmp_ty: &str, a: impl Display, b: impl Display) -> P {
        let p = self.p();
        self.ins(format!("setp.{cmp_ty} {p}, {a}, {b}"));
        p
    }

    /// `a && b`.
    pub fn pand(&mut self, a: P, b: P) -> P {
        let p = self.p();
        self.ins(format!("and.pred {p}, {a}, {b}"));
        p
    }

    /// A special register (`%tid.x`, `%ctaid.x`, ...) into a new `.b32` register.
    pub fn sreg(&mut self, name: &str) -> R {
        let d = self.r();
        self.ins(format!("mov.u32 {d}, {name}"));
        d
    }

    /// `base + 4 * idx` (`idx` a signed 32-bit element index).
    pub fn addr(&mut self, base: D, idx: impl Display) -> D {
        let d = self.d();
        self.ins(format!("mad.wide.s32 {d}, {idx}, 4, {base}"));
        d
    }

    /// `base + bytes` for a constant byte offset.
    pub fn offset(&mut self, base: D, bytes: i64) -> D {
        if bytes == 0 {
            return base;
        }
        let d = self.d();
        self.ins(format!("add.s64 {d}, {base}, {bytes}"));
        d
    }

    /// Loads an f32 from `[addr + bytes]` in `space` (`global.nc`, `global`, `shared`).
    pub fn ld(&mut self, space: &str, addr: impl Display, bytes: i64) -> F {
        let d = self.f();
        self.ins(format!("ld.{space}.f32 {d}, [{addr}+{bytes}]"));
        d
    }

    /// Stores an f32 to `[addr + bytes]` in `space`.
    pub fn st(&mut self, space: &str, addr: impl Display, bytes: i64, v: impl Display) {
        self.ins(format!("st.{space}.f32 [{addr}+{bytes}], {v}"));
    }

    /// A loop `for i in start..end step step` (all `.b32`, `end` and `step`
    /// may be immediates); the body gets `i`. Runs zero times when `start >= end`.
    pub fn for_range(
        &mut self,
        start: impl Display,
        end: impl Display,
        step: impl Display,
        body: impl FnOnce(&mut Body, R),
    ) {
        let i = self.r();
        self.ins(format!("mov.b32 {i}, {start}"));
        let (top, done) = (self.label(), self.label());
        self.place(top);
        let p = self.setp("ge.s32", i, end);
        self.bra_if(p, done);
        body(self, i);
        self.ins(format!("add.s32 {i}, {i}, {step}"));
        self.bra(top);
        self.place(done);
    }

    /// The entry's text: register declarations, the shared array, the body.
    pub fn finish(&self, shared_name: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\t.reg .pred %p<{}>;", self.np + 1);
        let _ = writeln!(out, "\t.reg .f32 %f<{}>;", self.nf + 1);
        let _ = writeln!(out, "\t.reg .b32 %r<{}>;", self.nr + 1);
        let _ = writeln!(out, "\t.reg .b64 %rd<{}>;", self.nd + 1);
        if self.shared_bytes > 0 {
            let _ = writeln!(out, "\t.shared .align 16 .b8 {shared_name}[{}];", self.shared_bytes);
        }
        out.push_str(&self.text);
        out
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::new()
    }
}
