//! Graph → [`Program`]: every run-time value becomes a strided [`View`] of an
//! arena buffer or of a constant; ops become kernels over those views; the
//! memory plan then places the buffers in one arena and the constants a
//! kernel needs go to the weights blob.
//!
//! Layout ops (transpose, slice, split, squeeze, reshape, expand, gather by
//! an affine index) only change views. A kernel that needs dense data gets a
//! copy (a `Map` of `Copy`) when its operand is not dense, and constants
//! are rearranged at compile time instead.
//!
//! While lowering, kernels address the arena as if every buffer had its own
//! range (buffer `b` at `vbase[b]`, no reuse); [`crate::plan`] then assigns
//! real offsets and every arena location is relocated.

mod attention;
mod conv_general;
mod elementwise;
mod fuse;
mod layout;
mod linalg;
mod norm;
mod resize;
mod window;

use crate::bind::{batch_symbol, bind_symbol, check_batch_separable};
use crate::error::LowerError;
use crate::kernel::Map;
use crate::kernel::{Kernel, Loc, MapOp, Region, Strided, UnaryOp};
use crate::plan::{Interval, plan_memory};
use crate::prepare::prepare;
use crate::program::{BatchPlan, GEMM_NR, IoSlot, MemoryStats, Program, SUPPORTED_GEMM_NR};
use crate::view::{Base, View, coalesce, dense_strides};
use crate::weights::WeightsBuilder;
pub(crate) use attention::kernel_supports;
use std::collections::{HashMap, HashSet};
use vitc_ir::{DType, Graph, NodeId, OpKind, Tensor, Value, WeightId};

/// Options of [`lower`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowerOptions {
    /// Largest batch a call may pass when the model's batch is symbolic.
    pub max_batch: usize,
    /// Columns per panel of the constant GEMM operands
    /// ([`crate::GemmB::Packed`]): [`crate::GEMM_NR`] (8) for 128- and
    /// 256-bit vector kernels, 16 for a backend with 512-bit vectors.
    pub gemm_nr: usize,
    /// Most bytes the program may need: its activation arena (for
    /// `max_batch` images) plus its weights (`vitc --max-memory`).
    pub max_memory: u64,
}

/// Most kernels a program may have: code generation time grows with the
/// count, and no image classifier comes near it (LVT has 448).
pub const MAX_KERNELS: usize = 1 << 14;

/// The default of [`LowerOptions::max_memory`]: 4 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

impl Default for LowerOptions {
    fn default() -> LowerOptions {
        LowerOptions { max_batch: 64, gemm_nr: GEMM_NR, max_memory: DEFAULT_MAX_MEMORY }
    }
}

/// Lowers a canonical graph (as `vitc_driver::load_onnx(path,
/// Stage::Canonical)` gives it) to a kernel program.
///
/// A symbolic batch is bound to 1: the program processes one image and the
/// runtime loops over the images of a call ([`BatchPlan::dynamic`]).
pub fn lower(graph: &Graph, options: &LowerOptions) -> Result<Program, LowerError> {
    if options.max_batch == 0 {
        return Err(LowerError::Graph("max_batch must be at least 1".into()));
    }
    if !SUPPORTED_GEMM_NR.contains(&options.gemm_nr) {
        return Err(LowerError::Graph(format!(
            "GEMM panel width {} is not supported (expected one of {SUPPORTED_GEMM_NR:?})",
            options.gemm_nr
        )));
    }
    let symbol = batch_symbol(graph)?;
    let bound;
    let g = match &symbol {
        Some(s) => {
            check_batch_separable(graph)?;
            bound = bind_symbol(graph, s)?;
            &bound
        }
        None => graph,
    };
    let prepared = prepare(g)?;
    let mut l = Lowerer::new(&prepared, options.gemm_nr);
    l.lower_graph()?;
    let batch = match symbol {
        Some(_) => BatchPlan { dynamic: true, max_batch: options.max_batch },
        None => BatchPlan { dynamic: false, max_batch: 1 },
    };
    l.finish(batch, options.max_memory)
}

/// A compile-time f32 constant and where it went in the blob.
struct ConstData {
    data: Vec<f32>,
    blob: Option<usize>,
}

/// An arena buffer before planning.
struct Buf {
    len: usize,
    vbase: usize,
}

/// The lowering state of one graph.
pub(crate) struct Lowerer<'g> {
    g: &'g Graph,
    values: HashMap<Value, View>,
    consts: Vec<ConstData>,
    const_of_weight: HashMap<WeightId, usize>,
    weights: WeightsBuilder,
    bufs: Vec<Buf>,
    vtop: usize,
    kernels: Vec<Kernel>,
    inputs: Vec<(String, usize, Vec<usize>, DType)>,
    outputs: Vec<(String, usize, Vec<usize>, DType)>,
    /// Nodes whose work was fused into a producer (their outputs are set).
    fused: HashSet<NodeId>,
    /// Panel width of packed GEMM operands ([`LowerOptions::gemm_nr`]).
    pub(crate) gemm_nr: usize,
}

/// What an op lowering returns on failure; the caller names the node.
pub(crate) type OpResult<T> = Result<T, String>;

impl<'g> Lowerer<'g> {
    fn new(g: &'g Graph, gemm_nr: usize) -> Lowerer<'g> {
        Lowerer {
            g,
            values: HashMap::new(),
            consts: Vec::new(),
            const_of_weight: HashMap::new(),
            weights: WeightsBuilder::default(),
            bufs: Vec::new(),
            vtop: 0,
            kernels: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            fused: HashSet::new(),
            gemm_nr,
        }
    }

    fn lower_graph(&mut self) -> Result<(), LowerError> {
        let g = self.g;
        for &id in &g.inputs {
            let node = g.node(id);
            let ty = node.outputs.first().ok_or_else(|| LowerError::Graph("an input node has no type".into()))?;
            let dims = static_dims(ty).ok_or_else(|| {
                LowerError::Graph(format!("graph input '{}' is {ty}; inputs must have a static shape", node.name))
            })?;
            let (b, v) = self.new_buffer(&dims);
            self.inputs.push((node.name.clone(), b, dims, ty.dtype));
            self.values.insert(Value::first(id), v);
        }
        let order = g.topo_order().map_err(|e| LowerError::Graph(e.to_string()))?;
        for id in order {
            let node = g.node(id);
            if matches!(node.op, OpKind::Input | OpKind::Const) || self.fused.contains(&id) {
                continue;
            }
            self.lower_node(id).map_err(|m| LowerError::node(&node.name, node.op, m))?;
            if self.kernels.len() > MAX_KERNELS {
                return Err(LowerError::node(
                    &node.name,
                    node.op,
                    format!(
                        "the program reaches {} kernels here, more than the limit of {MAX_KERNELS} (a static batch \
                         axis this large unrolls per-image kernels; export with a dynamic batch axis instead)",
                        self.kernels.len()
                    ),
                ));
            }
        }
        for (name, v) in &g.outputs {
            let view = self.view(*v).map_err(|m| LowerError::Graph(format!("graph output '{name}': {m}")))?;
            let taken: Vec<usize> = self.inputs.iter().chain(&self.outputs).map(|io| io.1).collect();
            let buf = match view.base {
                Base::Arena(b)
                    if view.offset == 0
                        && view.is_contiguous()
                        && view.numel() == self.bufs[b].len
                        && !taken.contains(&b) =>
                {
                    b
                }
                _ => {
                    let (b, copy) = self.new_buffer(&view.dims);
                    self.map_into(MapOp::Unary(UnaryOp::Copy), &copy, std::slice::from_ref(&view));
                    b
                }
            };
            let dtype = self.g.value_type(*v).dtype;
            self.outputs.push((name.clone(), buf, view.dims.clone(), dtype));
        }
        Ok(())
    }

    fn lower_node(&mut self, id: NodeId) -> OpResult<()> {
        let node = self.g.node(id);
        for (port, ty) in node.outputs.iter().enumerate() {
            if !self.g.is_used(Value { node: id, port }) {
                continue;
            }
            if ty.dtype != DType::F32 && !carries_non_f32(node.op) {
                return Err(format!(
                    "computes a {ty} value at run time; '{}' has no integer or bool kernel (such values must fold \
                     to constants)",
                    node.op
                ));
            }
            if static_dims(ty).is_none() {
                return Err(format!("output {ty} has no static shape"));
            }
        }
        use OpKind::*;
        match node.op {
            Input | Const => Ok(()),
            Identity => {
                let x = self.input(id, 0)?;
                self.set(id, 0, x);
                Ok(())
            }
            Cast => self.cast(id),
            Neg | Abs | Sqrt | Exp | Log | Erf | Tanh | Reciprocal | Floor | Ceil | Round | Sign | Sin | Cos | Tan
            | Asin | Acos | Atan | Sinh | Cosh | Asinh | Acosh | Atanh | IsNaN | IsInf | Relu | Sigmoid
            | HardSigmoid | HardSwish | Gelu => self.unary(id),
            Add | Sub | Mul | Div | Pow | Mod | Max | Min => self.binary(id),
            Equal | Less | Greater => self.compare(id),
            Where => self.select(id),
            BatchNormalization => self.batch_norm(id),
            MatMul => self.matmul(id),
            Gemm => self.gemm(id),
            Einsum => self.einsum(id),
            Conv => self.conv(id),
            ConvTranspose => self.conv_transpose(id),
            AveragePool | MaxPool => self.pool(id),
            GlobalAveragePool => self.global_average_pool(id),
            LayerNormalization => self.layer_norm(id),
            Softmax => self.softmax(id),
            ReduceMean | ReduceSum | ReduceMax | ReduceMin => self.reduce(id),
            Reshape | Flatten | Squeeze | Unsqueeze => self.reshape_like(id),
            Transpose => self.transpose(id),
            Slice => self.slice(id),
            Split => self.split(id),
            Concat => self.concat(id),
            Gather => self.gather(id),
            Expand => self.expand(id),
            Pad => self.pad(id),
            Resize => self.resize(id),
            Shape | Range | ConstantOfShape => Err("this op should have been folded to a constant".into()),
            ScatterND => Err("scatter_nd has no native kernel yet; only a scatter that overwrites every position \
                 in order (removed by canonicalisation) compiles"
                .into()),
            Attention => self.attention(id),
        }
    }

    // ----- graph access -------------------------------------------------

    /// The value in operand `slot` of `id`.
    pub(crate) fn operand(&self, id: NodeId, slot: usize) -> OpResult<Value> {
        self.g.operand(id, slot).ok_or_else(|| format!("operand {slot} is required but absent"))
    }

    /// The view of operand `slot` of `id`.
    pub(crate) fn input(&mut self, id: NodeId, slot: usize) -> OpResult<View> {
        let v = self.operand(id, slot)?;
        self.view(v)
    }

    /// The view of an optional operand.
    pub(crate) fn optional_input(&mut self, id: NodeId, slot: usize) -> OpResult<Option<View>> {
        match self.g.operand(id, slot) {
            Some(v) => self.view(v).map(Some),
            None => Ok(None),
        }
    }

    /// The view of a value: lowered already, or a constant.
    pub(crate) fn view(&mut self, v: Value) -> OpResult<View> {
        if let Some(view) = self.values.get(&v) {
            return Ok(view.clone());
        }
        let node = self.g.node(v.node);
        match (node.op, node.weight) {
            (OpKind::Const, Some(w)) => {
                let tensor = self.g.const_tensor(v).ok_or("internal: const without a tensor")?;
                let dims = tensor.dims().to_vec();
                let c = match self.const_of_weight.get(&w) {
                    Some(&c) => c,
                    None => {
                        let data = match &**tensor {
                            Tensor::F32(a) => a.iter().copied().collect(),
                            other => other.to_f64_vec().into_iter().map(|x| x as f32).collect(),
                        };
                        let c = self.add_const(data);
                        self.const_of_weight.insert(w, c);
                        c
                    }
                };
                Ok(View::dense(Base::Const(c), 0, &dims))
            }
            _ => Err(format!("operand '{}' ({}) has no lowered value", node.name, node.op)),
        }
    }

    /// The constant tensor behind operand `slot`, if it is a constant.
    pub(crate) fn const_operand(&self, id: NodeId, slot: usize) -> Option<&'g Tensor> {
        let v = self.g.operand(id, slot)?;
        self.g.const_tensor(v).map(|t| &**t)
    }

    /// The contents of a constant integer operand.
    pub(crate) fn const_ints(&self, id: NodeId, slot: usize, what: &str) -> OpResult<Vec<i64>> {
        self.const_operand(id, slot).map(Tensor::to_i64_vec).ok_or_else(|| format!("{what} must be a constant"))
    }

    /// Static dims of output `port` of `id`.
    pub(crate) fn out_dims(&self, id: NodeId, port: usize) -> OpResult<Vec<usize>> {
        let ty = self.g.node(id).outputs.get(port).ok_or_else(|| format!("internal: no output {port}"))?;
        static_dims(ty).ok_or_else(|| format!("output {ty} has no static shape"))
    }

    /// Static dims of operand `slot`.
    pub(crate) fn in_dims(&self, id: NodeId, slot: usize) -> OpResult<Vec<usize>> {
        let v = self.operand(id, slot)?;
        let ty = self.g.value_type(v);
        static_dims(ty).ok_or_else(|| format!("operand {slot} is {ty}, without a static shape"))
    }

    pub(crate) fn attrs(&self, id: NodeId) -> &'g vitc_ir::Attrs {
        &self.g.node(id).attrs
    }

    pub(crate) fn graph(&self) -> &'g Graph {
        self.g
    }

    /// Records the view of output `port` of `id`.
    pub(crate) fn set(&mut self, id: NodeId, port: usize, view: View) {
        self.values.insert(Value { node: id, port }, view);
    }

    /// Marks `id` as done by a producer's kernel.
    pub(crate) fn mark_fused(&mut self, id: NodeId) {
        self.fused.insert(id);
    }

    // ----- constants ----------------------------------------------------

    pub(crate) fn add_const(&mut self, data: Vec<f32>) -> usize {
        self.consts.push(ConstData { data, blob: None });
        self.consts.len() - 1
    }

    /// A dense constant view holding `data` with `dims`.
    pub(crate) fn const_view(&mut self, data: Vec<f32>, dims: &[usize]) -> View {
        let c = self.add_const(data);
        View::dense(Base::Const(c), 0, dims)
    }

    /// The elements of a constant view, row-major; `None` for run-time views.
    pub(crate) fn const_values(&self, v: &View) -> Option<Vec<f32>> {
        let Base::Const(c) = v.base else { return None };
        let data = &self.consts[c].data;
        v.positions().into_iter().map(|p| data.get(p).copied()).collect()
    }

    /// Whether a view reads a compile-time constant.
    pub(crate) fn is_const(v: &View) -> bool {
        matches!(v.base, Base::Const(_))
    }

    /// The value of a constant whose elements are all equal.
    pub(crate) fn const_scalar(&self, v: &View) -> Option<f32> {
        let values = self.const_values(v)?;
        let first = *values.first()?;
        values.iter().all(|x| x.to_bits() == first.to_bits()).then_some(first)
    }

    /// Puts an f32 array straight into the blob (packed panels, tables).
    pub(crate) fn blob_f32(&mut self, data: &[f32]) -> Loc {
        Loc::weights(self.weights.add_f32(data))
    }

    /// Puts a u32 table into the blob.
    pub(crate) fn blob_u32(&mut self, data: &[u32]) -> Loc {
        Loc::weights(self.weights.add_u32(data))
    }

    // ----- buffers and kernels -----------------------------------------

    fn alloc(&mut self, len: usize) -> usize {
        self.bufs.push(Buf { len, vbase: self.vtop });
        self.vtop += len.max(1);
        self.bufs.len() - 1
    }

    /// A fresh dense arena buffer viewed with `dims`.
    pub(crate) fn new_dense(&mut self, dims: &[usize]) -> View {
        self.new_buffer(dims).1
    }

    /// [`Lowerer::new_dense`] and the buffer's index.
    fn new_buffer(&mut self, dims: &[usize]) -> (usize, View) {
        let b = self.alloc(dims.iter().product());
        (b, View::dense(Base::Arena(b), 0, dims))
    }

    /// The location of a view's element 0.
    pub(crate) fn loc(&mut self, v: &View) -> Loc {
        match v.base {
            Base::Arena(b) => Loc::arena(self.bufs[b].vbase + v.offset),
            Base::Const(c) => {
                let at = match self.consts[c].blob {
                    Some(at) => at,
                    None => {
                        let at = self.weights.add_f32(&self.consts[c].data);
                        self.consts[c].blob = Some(at);
                        at
                    }
                };
                Loc::weights(at + v.offset)
            }
        }
    }

    pub(crate) fn emit(&mut self, k: Kernel) {
        self.kernels.push(k);
    }

    /// `op` over `inputs` (each already broadcast to `dims`) into a new buffer.
    pub(crate) fn map(&mut self, op: MapOp, dims: &[usize], inputs: &[View]) -> View {
        let out = self.new_dense(dims);
        self.map_into(op, &out, inputs);
        out
    }

    /// `op` over `inputs` into the contiguous view `out` (same dims).
    pub(crate) fn map_into(&mut self, op: MapOp, out: &View, inputs: &[View]) {
        if out.numel() == 0 {
            return;
        }
        let mut all = vec![dense_strides(&out.dims)];
        all.extend(inputs.iter().map(|v| v.strides.clone()));
        let (dims, strides) = coalesce(&out.dims, &all);
        let out_loc = self.loc(out);
        let inputs: Vec<Strided> =
            inputs.iter().zip(&strides[1..]).map(|(v, s)| Strided { at: self.loc(v), strides: s.clone() }).collect();
        self.emit(Kernel::Map(Map { op, dims, out: out_loc, inputs }));
    }

    /// `v` stored densely: itself when contiguous, otherwise a copy (made at
    /// compile time for constants).
    pub(crate) fn dense(&mut self, v: &View) -> View {
        if v.is_contiguous() {
            return v.clone();
        }
        if let Some(values) = self.const_values(v) {
            return self.const_view(values, &v.dims);
        }
        self.map(MapOp::Unary(UnaryOp::Copy), &v.dims.clone(), std::slice::from_ref(v))
    }

    // ----- planning -----------------------------------------------------

    /// Which buffer a pre-plan arena offset belongs to.
    fn buffer_at(&self, offset: usize) -> Result<usize, LowerError> {
        let b = self.bufs.partition_point(|b| b.vbase <= offset);
        let buf = b.checked_sub(1).map(|b| (b, &self.bufs[b]));
        match buf {
            Some((b, buf)) if offset < buf.vbase + buf.len.max(1) => Ok(b),
            _ => Err(LowerError::Graph(format!("internal: arena offset {offset} is in no buffer"))),
        }
    }

    fn finish(mut self, batch: BatchPlan, max_memory: u64) -> Result<Program, LowerError> {
        let n_kernels = self.kernels.len();
        let mut lives: Vec<Option<Interval>> = vec![None; self.bufs.len()];
        let touch = |lives: &mut Vec<Option<Interval>>, b: usize, at: usize| {
            lives[b] = Some(match lives[b] {
                Some(i) => Interval { start: i.start.min(at), end: i.end.max(at) },
                None => Interval { start: at, end: at },
            });
        };
        for (i, k) in self.kernels.iter().enumerate() {
            if k.output().region != Region::Arena {
                return Err(LowerError::Graph(format!("internal: kernel {i} ({}) writes the weights", k.name())));
            }
            for loc in k.locs() {
                if loc.region == Region::Arena {
                    touch(&mut lives, self.buffer_at(loc.offset)?, i);
                }
            }
        }
        for &(_, b, ..) in &self.inputs {
            touch(&mut lives, b, 0);
        }
        for &(_, b, ..) in &self.outputs {
            touch(&mut lives, b, n_kernels);
        }
        let sizes: Vec<usize> =
            self.bufs.iter().zip(&lives).map(|(b, l)| if l.is_some() { b.len } else { 0 }).collect();
        let lives: Vec<Interval> = lives.into_iter().map(|l| l.unwrap_or(Interval { start: 0, end: 0 })).collect();
        let plan = plan_memory(&sizes, &lives);
        let mut kernels = std::mem::take(&mut self.kernels);
        for k in &mut kernels {
            for loc in k.locs_mut() {
                if loc.region == Region::Arena {
                    let b = self.buffer_at(loc.offset)?;
                    loc.offset = plan.offsets[b] + (loc.offset - self.bufs[b].vbase);
                }
            }
        }
        let slot = |(name, b, dims, dtype): &(String, usize, Vec<usize>, DType)| IoSlot {
            name: name.clone(),
            dims: dims.clone(),
            offset: plan.offsets[*b],
            dtype: *dtype,
        };
        let memory = MemoryStats { arena_bytes: plan.arena_len * 4, activation_bytes: sizes.iter().sum::<usize>() * 4 };
        let weights = self.weights.finish();
        let needed = (memory.arena_bytes as u64).saturating_add(weights.len() as u64);
        if needed > max_memory {
            return Err(LowerError::Graph(format!(
                "the program needs {needed} bytes ({} of activations for up to {} image(s), {} of weights), more \
                 than the memory limit of {} bytes (--max-memory)",
                memory.arena_bytes,
                batch.max_batch,
                weights.len(),
                max_memory
            )));
        }
        Ok(Program {
            name: self.g.name.clone(),
            kernels,
            arena_len: plan.arena_len,
            inputs: self.inputs.iter().map(slot).collect(),
            outputs: self.outputs.iter().map(slot).collect(),
            weights,
            batch,
            memory,
        })
    }
}

/// Whether an op may compute integer or bool values at run time: they are
/// carried as exact f32 values (see [`crate::program`]), so only ops whose
/// lowering gives the integer result qualify (layout ops, comparisons,
/// selects, exact arithmetic, integer division and powers, max/min/sum
/// reductions).
fn carries_non_f32(op: OpKind) -> bool {
    use OpKind::*;
    matches!(
        op,
        Identity
            | Cast
            | Neg
            | Abs
            | Add
            | Sub
            | Mul
            | Div
            | Pow
            | Mod
            | Max
            | Min
            | Equal
            | Less
            | Greater
            | Where
            | ReduceMax
            | ReduceMin
            | ReduceSum
            | Reshape
            | Flatten
            | Squeeze
            | Unsqueeze
            | Transpose
            | Slice
            | Split
            | Concat
            | Gather
            | Expand
            | Pad
            | Resize
    )
}

/// The dims of a type when all are known.
pub(crate) fn static_dims(ty: &vitc_ir::ValueType) -> Option<Vec<usize>> {
    vitc_ir::dim::shape_sizes(&ty.shape)
}
