//! A small interpreter of the PTX subset vitc emits, for testing kernels
//! against `vitc_lower::reference` without a GPU. It parses one module,
//! runs an entry over its grid (one image) with every thread's registers
//! and a block's shared memory, and schedules threads cooperatively:
//! each runs until `bar.sync`, `shfl.sync` or `ret`; a barrier releases
//! when every live thread of the block waits at it, a shuffle when all 32
//! lanes of the warp wait at the same one. `ex2.approx` is evaluated
//! exactly (the hardware is within 2 ulp). Any access outside the arena,
//! the weights or the shared array panics.

#![allow(clippy::unwrap_used, dead_code)]
// An interpreter mirrors PTX's own formulations (unordered compares, `addr % 4`, lane indexing).
#![allow(clippy::manual_is_multiple_of, clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use std::collections::HashMap;

/// Base addresses of the two global regions.
pub const ARENA_BASE: u64 = 0x1_0000_0000;
pub const WEIGHTS_BASE: u64 = 0x2_0000_0000;

#[derive(Clone, Debug)]
enum Opd {
    Reg(usize),
    Imm(u64),
    Special(String),
    Sym(String),
    Mem(Box<Opd>, i64),
    Vec(Vec<usize>),
}

#[derive(Clone, Debug)]
struct Ins {
    guard: Option<(usize, bool)>,
    op: Vec<String>,
    args: Vec<Opd>,
    target: Option<usize>,
}

/// One parsed entry.
pub struct Entry {
    code: Vec<Ins>,
    nregs: usize,
    shared: usize,
    params: Vec<String>,
}

/// Parses every `.entry` of a module.
pub fn parse(ptx: &str) -> HashMap<String, Entry> {
    let mut entries = HashMap::new();
    let mut lines = ptx.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix(".visible .entry ") else { continue };
        let name = rest.trim_end_matches('(').to_string();
        let mut params = Vec::new();
        for l in lines.by_ref() {
            let l = l.trim();
            if l == ")" {
                break;
            }
            params.push(l.trim_start_matches(".param .u64 ").trim_end_matches(',').to_string());
        }
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l == "}" {
                break;
            }
            body.push(l.trim().to_string());
        }
        entries.insert(name, build(&body, params));
    }
    entries
}

fn build(body: &[String], params: Vec<String>) -> Entry {
    let mut regs: HashMap<String, usize> = HashMap::new();
    let mut labels: HashMap<String, usize> = HashMap::new();
    let mut shared = 0;
    let mut raw = Vec::new();
    for l in body {
        if l.starts_with(".reg") || l.starts_with(".maxntid") || l == "{" || l.starts_with("//") || l.is_empty() {
            continue;
        }
        if l.starts_with(".shared") {
            shared = l.split('[').nth(1).unwrap().trim_end_matches("];").parse().unwrap();
            continue;
        }
        if let Some(label) = l.strip_suffix(':') {
            labels.insert(label.to_string(), raw.len());
            continue;
        }
        raw.push(l.trim_end_matches(';').to_string());
    }
    let mut reg = |name: &str| -> usize {
        let n = regs.len();
        *regs.entry(name.to_string()).or_insert(n)
    };
    let code = raw
        .iter()
        .map(|l| {
            let (guard, l) = match l.strip_prefix('@') {
                Some(g) => {
                    let (p, rest) = g.split_once(' ').unwrap();
                    let (neg, p) = match p.strip_prefix('!') {
                        Some(p) => (true, p),
                        None => (false, p),
                    };
                    (Some((reg(p), neg)), rest.to_string())
                }
                None => (None, l.clone()),
            };
            let (op, rest) = l.split_once(' ').unwrap_or((&l, ""));
            let op: Vec<String> = op.split('.').map(String::from).collect();
            let mut target = None;
            let mut args = Vec::new();
            if op[0] == "bra" {
                target = Some(labels[rest.trim()]);
            } else {
                for a in split_args(rest) {
                    args.push(operand(&a, &mut reg));
                }
            }
            Ins { guard, op, args, target }
        })
        .collect();
    Entry { code, nregs: regs.len(), shared, params }
}

fn split_args(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in s.chars() {
        match c {
            '{' | '[' => {
                depth += 1;
                cur.push(c)
            }
            '}' | ']' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn operand(a: &str, reg: &mut impl FnMut(&str) -> usize) -> Opd {
    if let Some(inner) = a.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        let (base, off) = match inner.split_once('+') {
            Some((b, o)) => (b, o.parse::<i64>().unwrap()),
            None => (inner, 0),
        };
        return Opd::Mem(Box::new(operand(base, reg)), off);
    }
    if let Some(inner) = a.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
        return Opd::Vec(inner.split(',').map(|r| reg(r.trim())).collect());
    }
    if a.starts_with("%tid") || a.starts_with("%ctaid") || a.starts_with("%ntid") || a.starts_with("%nctaid") {
        return Opd::Special(a.to_string());
    }
    if a.starts_with('%') {
        return Opd::Reg(reg(a));
    }
    if let Some(h) = a.strip_prefix("0f") {
        return Opd::Imm(u64::from(u32::from_str_radix(h, 16).unwrap()));
    }
    match a.parse::<i64>() {
        Ok(v) => Opd::Imm(v as u64),
        Err(_) => Opd::Sym(a.to_string()),
    }
}

/// Global memory of a run.
pub struct Memory {
    pub arena: Vec<f32>,
    pub weights: Vec<u32>,
}

impl Memory {
    fn load(&self, addr: u64) -> u32 {
        assert!(addr % 4 == 0, "misaligned load at {addr:#x}");
        if (ARENA_BASE..WEIGHTS_BASE).contains(&addr) {
            let i = ((addr - ARENA_BASE) / 4) as usize;
            self.arena.get(i).unwrap_or_else(|| panic!("arena load {i} out of range")).to_bits()
        } else {
            let i = ((addr - WEIGHTS_BASE) / 4) as usize;
            *self.weights.get(i).unwrap_or_else(|| panic!("weights load {i} out of range (addr {addr:#x})"))
        }
    }
    fn store(&mut self, addr: u64, v: u32) {
        assert!(addr % 4 == 0, "misaligned store");
        assert!((ARENA_BASE..WEIGHTS_BASE).contains(&addr), "store outside the arena at {addr:#x}");
        let i = ((addr - ARENA_BASE) / 4) as usize;
        *self.arena.get_mut(i).unwrap_or_else(|| panic!("arena store {i} out of range")) = f32::from_bits(v);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Run,
    Bar,
    Shfl,
    Done,
}

struct Thread {
    pc: usize,
    regs: Vec<u64>,
    state: State,
}

fn f(v: u64) -> f32 {
    f32::from_bits(v as u32)
}
fn fb(v: f32) -> u64 {
    u64::from(v.to_bits())
}

/// Runs `entry` over `grid` blocks of `block` threads (image 0).
pub fn run(entry: &Entry, grid: u32, block: u32, mem: &mut Memory) {
    for cta in 0..grid {
        let mut shared = vec![0u8; entry.shared];
        let mut threads: Vec<Thread> =
            (0..block).map(|_| Thread { pc: 0, regs: vec![0; entry.nregs], state: State::Run }).collect();
        loop {
            for t in 0..block as usize {
                if threads[t].state == State::Run {
                    step(entry, &mut threads[t], t as u32, cta, grid, block, mem, &mut shared);
                }
            }
            let live: Vec<usize> = (0..threads.len()).filter(|&t| threads[t].state != State::Done).collect();
            if live.is_empty() {
                break;
            }
            if live.iter().all(|&t| threads[t].state == State::Bar) {
                for &t in &live {
                    threads[t].state = State::Run;
                    threads[t].pc += 1;
                }
                continue;
            }
            let mut progressed = false;
            for w in 0..(block as usize).div_ceil(32) {
                let lanes: Vec<usize> = (w * 32..(w * 32 + 32).min(block as usize)).collect();
                if lanes.iter().all(|&t| threads[t].state == State::Shfl)
                    && lanes.iter().all(|&t| threads[t].pc == threads[lanes[0]].pc)
                {
                    let ins = &entry.code[threads[lanes[0]].pc];
                    let src: Vec<u64> = lanes.iter().map(|&t| value(&threads[t], &ins.args[1], 0, 0, 0, 0)).collect();
                    for (i, &t) in lanes.iter().enumerate() {
                        let off = value(&threads[t], &ins.args[2], 0, 0, 0, 0) as usize;
                        let from = match ins.op[2].as_str() {
                            "bfly" => i ^ off,
                            "down" => {
                                if i + off < 32 {
                                    i + off
                                } else {
                                    i
                                }
                            }
                            other => panic!("shfl mode {other}"),
                        };
                        let Opd::Reg(d) = ins.args[0] else { panic!("shfl destination") };
                        threads[t].regs[d] = src[from];
                        threads[t].state = State::Run;
                        threads[t].pc += 1;
                    }
                    progressed = true;
                }
            }
            assert!(progressed, "deadlock in block {cta}: threads wait at different barriers or shuffles");
        }
    }
}

fn value(t: &Thread, o: &Opd, tid: u32, cta: u32, grid: u32, block: u32) -> u64 {
    match o {
        Opd::Reg(r) => t.regs[*r],
        Opd::Imm(v) => *v,
        Opd::Special(s) => u64::from(match s.as_str() {
            "%tid.x" => tid,
            "%ctaid.x" => cta,
            "%ntid.x" => block,
            "%nctaid.x" => grid,
            "%ctaid.z" | "%tid.y" | "%tid.z" | "%ctaid.y" => 0,
            other => panic!("special register {other}"),
        }),
        Opd::Sym(_) => 0,
        other => panic!("not a value: {other:?}"),
    }
}

#[allow(clippy::too_many_arguments)]
fn step(entry: &Entry, t: &mut Thread, tid: u32, cta: u32, grid: u32, block: u32, mem: &mut Memory, shared: &mut [u8]) {
    loop {
        let ins = &entry.code[t.pc];
        if let Some((p, neg)) = ins.guard
            && (t.regs[p] != 0) == neg
        {
            t.pc += 1;
            continue;
        }
        let op: Vec<&str> = ins.op.iter().map(String::as_str).collect();
        let v = |i: usize| value(t, &ins.args[i], tid, cta, grid, block);
        let dst = match ins.args.first() {
            Some(Opd::Reg(d)) => Some(*d),
            _ => None,
        };
        let ty = *op.last().unwrap();
        let wide = op.get(1) == Some(&"wide");
        let set = |t: &mut Thread, x: u64| {
            let d = dst.unwrap();
            t.regs[d] = match ty {
                _ if wide => x,
                "u64" | "s64" | "b64" => x,
                "pred" => x & 1,
                _ => x & 0xffff_ffff,
            };
        };
        let i32v = |x: u64| x as u32 as i32;
        match op[0] {
            "ret" => {
                t.state = State::Done;
                return;
            }
            "bar" => {
                t.state = State::Bar;
                return;
            }
            "shfl" => {
                t.state = State::Shfl;
                return;
            }
            "bra" => {
                t.pc = ins.target.unwrap();
                continue;
            }
            "ld" if op[1] == "param" => {
                let Opd::Mem(base, _) = &ins.args[1] else { panic!() };
                let Opd::Sym(name) = base.as_ref() else { panic!() };
                let idx = entry.params.iter().position(|p| p == name).unwrap();
                let x = [ARENA_BASE, WEIGHTS_BASE, 0][idx];
                set(t, x);
            }
            "ld" | "st" => {
                let (mem_i, val_i) = if op[0] == "ld" { (1, 0) } else { (0, 1) };
                let Opd::Mem(base, off) = &ins.args[mem_i] else { panic!("memory operand") };
                let addr = value(t, base, tid, cta, grid, block).wrapping_add(*off as u64);
                let regs: Vec<usize> = match &ins.args[val_i] {
                    Opd::Vec(r) => r.clone(),
                    Opd::Reg(r) => vec![*r],
                    Opd::Imm(_) => vec![],
                    other => panic!("{other:?}"),
                };
                let shared_space = op[1] == "shared";
                if shared_space {
                    assert!(
                        addr % 4 == 0 && (addr as usize) + 4 * regs.len() <= shared.len(),
                        "shared access {addr} out of range"
                    );
                }
                for (k, &r) in regs.iter().enumerate() {
                    let a = addr + 4 * k as u64;
                    if op[0] == "ld" {
                        let x = if shared_space {
                            let s = a as usize;
                            u32::from_le_bytes([shared[s], shared[s + 1], shared[s + 2], shared[s + 3]])
                        } else {
                            mem.load(a)
                        };
                        t.regs[r] = u64::from(x);
                    } else {
                        let x = t.regs[r] as u32;
                        if shared_space {
                            shared[a as usize..a as usize + 4].copy_from_slice(&x.to_le_bytes());
                        } else {
                            mem.store(a, x);
                        }
                    }
                }
            }
            "mov" | "cvta" => {
                let x = v(1);
                set(t, x);
            }
            "cvt" => {
                let x = v(1);
                let r = match (op[1], op.len()) {
                    ("u64", _) => x & 0xffff_ffff,
                    ("rni", 4) if op[2] == "s32" => {
                        let y = f(x).round_ties_even();
                        (if y.is_nan() { 0 } else { y as i32 }) as u32 as u64
                    }
                    ("rn", 4) if op[2] == "f32" => fb(i32v(x) as f32),
                    (mode, 4) if op[2] == "f32" && op[3] == "f32" => fb(match mode {
                        "rni" => f(x).round_ties_even(),
                        "rzi" => f(x).trunc(),
                        "rmi" => f(x).floor(),
                        "rpi" => f(x).ceil(),
                        m => panic!("cvt mode {m}"),
                    }),
                    _ => panic!("cvt {:?}", op),
                };
                let d = dst.unwrap();
                t.regs[d] = r;
            }
            "setp" => {
                let (a, b) = (v(1), v(2));
                let r = match ty {
                    "f32" => {
                        let (a, b) = (f(a), f(b));
                        match op[1] {
                            "lt" => a < b,
                            "le" => a <= b,
                            "gt" => a > b,
                            "ge" => a >= b,
                            "eq" => a == b,
                            "ne" => a != b && !a.is_nan() && !b.is_nan(),
                            "neu" => a != b,
                            "gtu" => !(a <= b),
                            "nan" => a.is_nan() || b.is_nan(),
                            c => panic!("setp {c}"),
                        }
                    }
                    "s32" => cmp(op[1], i32v(a), i32v(b)),
                    "u32" => cmp(op[1], a as u32, b as u32),
                    _ => panic!("setp type {ty}"),
                };
                let d = dst.unwrap();
                t.regs[d] = u64::from(r);
            }
            "selp" => {
                let x = if v(3) != 0 { v(1) } else { v(2) };
                set(t, x);
            }
            "and" | "or" if ty == "pred" => {
                let x = if op[0] == "and" { v(1) & v(2) } else { v(1) | v(2) };
                set(t, x);
            }
            "not" => {
                let x = 1 - v(1);
                set(t, x);
            }
            _ if ty == "f32" => {
                let a = f(v(1));
                let r = match op[0] {
                    "add" => a + f(v(2)),
                    "sub" => a - f(v(2)),
                    "mul" => a * f(v(2)),
                    "div" => a / f(v(2)),
                    "fma" => a.mul_add(f(v(2)), f(v(3))),
                    "neg" => -a,
                    "abs" => a.abs(),
                    "sqrt" => a.sqrt(),
                    "ex2" => (a as f64).exp2() as f32,
                    "min" | "max" => {
                        let b = f(v(2));
                        if op[1] == "NaN" && (a.is_nan() || b.is_nan()) {
                            f32::NAN
                        } else if op[0] == "min" {
                            a.min(b)
                        } else {
                            a.max(b)
                        }
                    }
                    o => panic!("f32 op {o}"),
                };
                set(t, fb(r));
            }
            _ => {
                let (a, b) = (v(1), if ins.args.len() > 2 { v(2) } else { 0 });
                let r: u64 = match (op[0], op.get(1).copied().unwrap_or("")) {
                    ("add", "s64") => a.wrapping_add(b),
                    ("mad", "lo") if ty == "u64" => a.wrapping_mul(b).wrapping_add(v(3)),
                    ("mad", "wide") => ((i32v(a) as i64).wrapping_mul(i32v(b) as i64) as u64).wrapping_add(v(3)),
                    ("mad", "lo") => i32v(a).wrapping_mul(i32v(b)).wrapping_add(i32v(v(3))) as u32 as u64,
                    ("add", _) => i32v(a).wrapping_add(i32v(b)) as u32 as u64,
                    ("sub", _) => i32v(a).wrapping_sub(i32v(b)) as u32 as u64,
                    ("mul", "lo") => i32v(a).wrapping_mul(i32v(b)) as u32 as u64,
                    ("div", "u32") => u64::from(a as u32 / b as u32),
                    ("rem", "u32") => u64::from(a as u32 % b as u32),
                    ("shr", "u32") => u64::from((a as u32) >> b),
                    ("shr", "s32") => (i32v(a) >> b) as u32 as u64,
                    ("shl", _) => u64::from((a as u32) << b),
                    ("and", _) => a & b,
                    ("or", _) => a | b,
                    ("max", "s32") => i32v(a).max(i32v(b)) as u32 as u64,
                    o => panic!("integer op {o:?} ({:?})", op),
                };
                set(t, r);
            }
        }
        t.pc += 1;
    }
}

fn cmp<T: PartialOrd>(c: &str, a: T, b: T) -> bool {
    match c {
        "lt" => a < b,
        "le" => a <= b,
        "gt" => a > b,
        "ge" => a >= b,
        "eq" => a == b,
        "ne" => a != b,
        c => panic!("cmp {c}"),
    }
}
