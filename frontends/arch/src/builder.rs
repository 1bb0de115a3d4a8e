//! Graph-building helpers shared by the definitions: the layers every
//! family uses (linear, convolution, BatchNorm, LayerNorm), the attention
//! pieces, and thin wrappers over [`Graph::add_op`] that name nodes after the
//! reference modules (`blocks.0.attn.qkv/matmul`) and turn IR errors into
//! [`ArchError`]s.
//!
//! Conventions, so that graphs look like what the ONNX frontend imports:
//! - a Linear is `matmul(x, Wᵀ)` with the transposed weight stored as a
//!   constant named `<prefix>.weight^T`, then `add(bias)`;
//! - BatchNorm and LayerNorm are `batch_normalization` / `layer_normalization`
//!   over the reference's running statistics and affine parameters;
//! - reshape targets use `0` (copy) or `-1` for the batch axis, so the same
//!   definition works for a fixed or a symbolic batch.
//!
//! Weight constants are cached by name: asking twice for the same weight
//! (LVT's recursive attention, its shared dilated convolutions) gives the
//! same `const` node.

use crate::error::ArchError;
use crate::seeded::Init;
use crate::weights::{Kind, WeightStore};
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;
use std::sync::Arc;
use vitc_ir::{Attr, Attrs, DType, Dim, Graph, IrError, OpKind, Tensor, Value, ValueType};

/// Shorthand for builder results.
pub type R<T> = Result<T, ArchError>;

/// BatchNorm epsilon of PyTorch's `nn.BatchNorm*d`.
pub const BN_EPS: f32 = 1e-5;

/// A 2-D convolution's hyper-parameters (square kernels).
#[derive(Clone, Copy, Debug)]
pub struct ConvSpec {
    pub in_ch: usize,
    pub out_ch: usize,
    pub kernel: usize,
    pub stride: usize,
    pub pad: usize,
    pub dilation: usize,
    pub groups: usize,
    pub bias: bool,
}

impl ConvSpec {
    /// A dense convolution with bias.
    pub fn new(in_ch: usize, out_ch: usize, kernel: usize, stride: usize, pad: usize) -> ConvSpec {
        ConvSpec { in_ch, out_ch, kernel, stride, pad, dilation: 1, groups: 1, bias: true }
    }

    /// A depthwise 3×3 convolution (stride 1, "same" padding for `dilation`).
    pub fn depthwise3(ch: usize, dilation: usize, bias: bool) -> ConvSpec {
        ConvSpec { in_ch: ch, out_ch: ch, kernel: 3, stride: 1, pad: dilation, dilation, groups: ch, bias }
    }

    pub fn without_bias(self) -> ConvSpec {
        ConvSpec { bias: false, ..self }
    }

    fn weight_shape(&self) -> [usize; 4] {
        [self.out_ch, self.in_ch / self.groups.max(1), self.kernel, self.kernel]
    }
}

/// A graph under construction plus the weights it draws from.
pub struct Builder<'a> {
    pub graph: Graph,
    pub weights: WeightStore<'a>,
    arch: &'static str,
    consts: HashMap<String, Value>,
}

fn ints_attr(v: &[usize]) -> Attr {
    Attr::Ints(v.iter().map(|&x| x as i64).collect())
}

impl<'a> Builder<'a> {
    pub fn new(arch: &'static str, weights: WeightStore<'a>) -> Builder<'a> {
        Builder { graph: Graph::new(arch), weights, arch, consts: HashMap::new() }
    }

    /// Adds the image input `input: f32[batch, 3, size, size]`.
    pub fn image_input(&mut self, batch: Dim, size: usize) -> Value {
        let shape = vec![batch, Dim::Known(3), Dim::Known(size), Dim::Known(size)];
        self.graph.add_input("input", ValueType::new(DType::F32, shape))
    }

    /// Declares `output` the graph output `"output"`, checks the checkpoint was
    /// fully used and returns the graph with its learned-parameter count.
    pub fn finish(mut self, output: Value) -> R<(Graph, u64)> {
        self.graph.outputs.push(("output".to_string(), output));
        let parameters = self.weights.finish()?;
        Ok((self.graph, parameters))
    }

    fn ir(&self, source: IrError) -> ArchError {
        ArchError::Graph { arch: self.arch, cause: source }
    }

    /// The static type of a value.
    pub fn ty(&self, v: Value) -> &ValueType {
        self.graph.value_type(v)
    }

    /// Adds a single-output op.
    pub fn op(&mut self, name: &str, kind: OpKind, attrs: Attrs, operands: &[Value]) -> R<Value> {
        let ops: Vec<Option<Value>> = operands.iter().copied().map(Some).collect();
        self.graph.add_op1(name, kind, attrs, &ops).map_err(|e| self.ir(e))
    }

    /// Adds a single-output op with optional operands (`None` = absent).
    pub fn op_opt(&mut self, name: &str, kind: OpKind, attrs: Attrs, operands: &[Option<Value>]) -> R<Value> {
        self.graph.add_op1(name, kind, attrs, operands).map_err(|e| self.ir(e))
    }

    /// Adds an op with `n` outputs.
    pub fn op_n(&mut self, name: &str, kind: OpKind, attrs: Attrs, operands: &[Value], n: usize) -> R<Vec<Value>> {
        let ops: Vec<Option<Value>> = operands.iter().copied().map(Some).collect();
        self.graph.add_op(name, kind, attrs, &ops, n).map_err(|e| self.ir(e))
    }

    /// A constant tensor (not a checkpoint weight), cached under `name`.
    pub fn constant(&mut self, name: &str, tensor: Tensor) -> Value {
        if let Some(v) = self.consts.get(name) {
            return *v;
        }
        let v = self.graph.add_const(name, Arc::new(tensor));
        self.consts.insert(name.to_string(), v);
        v
    }

    /// A small i64 vector constant (reshape targets, slice bounds, ...), not cached.
    pub fn ints(&mut self, name: &str, values: &[i64]) -> Value {
        self.graph.add_const(name, Arc::new(Tensor::i64_vec(values)))
    }

    /// A rank-0 f32 constant.
    pub fn scalar(&mut self, name: &str, value: f32) -> Value {
        self.graph.add_const(name, Arc::new(Tensor::f32_scalar(value)))
    }

    /// The learned f32 tensor `name` as a constant (cached by name).
    pub fn param(&mut self, name: &str, shape: &[usize], init: Init) -> R<Value> {
        self.weight(name, shape, init, Kind::Parameter)
    }

    fn weight(&mut self, name: &str, shape: &[usize], init: Init, kind: Kind) -> R<Value> {
        if let Some(v) = self.consts.get(name) {
            return Ok(*v);
        }
        let a = self.weights.f32(name, shape, init, kind)?;
        Ok(self.constant(name, Tensor::F32(a)))
    }

    /// A learned tensor transformed before it becomes a constant (e.g. a
    /// transposed Linear weight), cached under `const_name`.
    pub fn param_with(
        &mut self,
        name: &str,
        const_name: &str,
        shape: &[usize],
        init: Init,
        transform: impl FnOnce(ArrayD<f32>) -> ArrayD<f32>,
    ) -> R<Value> {
        if let Some(v) = self.consts.get(const_name) {
            return Ok(*v);
        }
        let a = self.weights.f32(name, shape, init, Kind::Parameter)?;
        Ok(self.constant(const_name, Tensor::F32(transform(a))))
    }

    // ---- layers ----------------------------------------------------------

    /// `x @ Wᵀ (+ b)` over the last axis: `prefix.weight` is `[out, inp]`.
    pub fn linear(&mut self, prefix: &str, x: Value, inp: usize, out: usize, bias: bool) -> R<Value> {
        self.linear_as(prefix, prefix, x, inp, out, bias)
    }

    /// [`Builder::linear`] with nodes named `node/...` (for weights used more than once).
    pub fn linear_as(&mut self, node: &str, prefix: &str, x: Value, inp: usize, out: usize, bias: bool) -> R<Value> {
        let wt = self.param_with(
            &format!("{prefix}.weight"),
            &format!("{prefix}.weight^T"),
            &[out, inp],
            Init::FanIn(inp),
            |w| w.reversed_axes().as_standard_layout().into_owned(),
        )?;
        let y = self.op(&format!("{node}/matmul"), OpKind::MatMul, Attrs::new(), &[x, wt])?;
        if !bias {
            return Ok(y);
        }
        let b = self.param(&format!("{prefix}.bias"), &[out], Init::Normal(0.02))?;
        self.op(&format!("{node}/add"), OpKind::Add, Attrs::new(), &[y, b])
    }

    /// A 2-D convolution over NCHW: `prefix.weight` (and `prefix.bias`).
    pub fn conv(&mut self, prefix: &str, x: Value, spec: ConvSpec) -> R<Value> {
        self.conv_as(prefix, prefix, x, spec)
    }

    /// [`Builder::conv`] with the node named `node/conv` (for weights used more than once).
    pub fn conv_as(&mut self, node: &str, prefix: &str, x: Value, spec: ConvSpec) -> R<Value> {
        let shape = spec.weight_shape();
        let w = self.param(&format!("{prefix}.weight"), &shape, Init::FanIn(shape[1] * shape[2] * shape[3]))?;
        let mut operands = vec![x, w];
        if spec.bias {
            operands.push(self.param(&format!("{prefix}.bias"), &[spec.out_ch], Init::Normal(0.02))?);
        }
        let attrs = Attrs::new()
            .with("kernel_shape", ints_attr(&[spec.kernel, spec.kernel]))
            .with("strides", ints_attr(&[spec.stride, spec.stride]))
            .with("pads", ints_attr(&[spec.pad; 4]))
            .with("dilations", ints_attr(&[spec.dilation, spec.dilation]))
            .with("group", Attr::Int(spec.groups as i64));
        self.op(&format!("{node}/conv"), OpKind::Conv, attrs, &operands)
    }

    /// Inference BatchNorm over axis 1 with `prefix.{weight,bias,running_mean,running_var}`.
    pub fn batch_norm(&mut self, prefix: &str, x: Value, channels: usize) -> R<Value> {
        self.batch_norm_init(prefix, x, channels, Init::Uniform(0.5, 1.5))
    }

    /// [`Builder::batch_norm`] with the seeded init of the scale chosen by the caller.
    pub fn batch_norm_init(&mut self, prefix: &str, x: Value, channels: usize, scale_init: Init) -> R<Value> {
        let c = [channels];
        let scale = self.param(&format!("{prefix}.weight"), &c, scale_init)?;
        let bias = self.param(&format!("{prefix}.bias"), &c, Init::Normal(0.1))?;
        let mean = self.weight(&format!("{prefix}.running_mean"), &c, Init::Normal(0.1), Kind::Buffer)?;
        let var = self.weight(&format!("{prefix}.running_var"), &c, Init::Uniform(0.5, 1.5), Kind::Buffer)?;
        let attrs = Attrs::new().with("epsilon", Attr::Float(BN_EPS));
        self.op(
            &format!("{prefix}/batch_normalization"),
            OpKind::BatchNormalization,
            attrs,
            &[x, scale, bias, mean, var],
        )
    }

    /// LayerNorm over the last axis with `prefix.{weight,bias}`.
    pub fn layer_norm(&mut self, prefix: &str, x: Value, channels: usize, eps: f32) -> R<Value> {
        self.layer_norm_as(prefix, prefix, x, channels, eps)
    }

    /// [`Builder::layer_norm`] with the node named `node/...` (for weights used more than once).
    pub fn layer_norm_as(&mut self, node: &str, prefix: &str, x: Value, channels: usize, eps: f32) -> R<Value> {
        let scale = self.param(&format!("{prefix}.weight"), &[channels], Init::Uniform(0.8, 1.2))?;
        let bias = self.param(&format!("{prefix}.bias"), &[channels], Init::Normal(0.02))?;
        let attrs = Attrs::new().with("axis", Attr::Int(-1)).with("epsilon", Attr::Float(eps));
        self.op(&format!("{node}/layer_normalization"), OpKind::LayerNormalization, attrs, &[x, scale, bias])
    }

    // ---- elementwise -----------------------------------------------------

    pub fn add(&mut self, name: &str, a: Value, b: Value) -> R<Value> {
        self.op(name, OpKind::Add, Attrs::new(), &[a, b])
    }

    pub fn mul(&mut self, name: &str, a: Value, b: Value) -> R<Value> {
        self.op(name, OpKind::Mul, Attrs::new(), &[a, b])
    }

    /// `x * s` for a scalar `s`.
    pub fn scale(&mut self, name: &str, x: Value, s: f32) -> R<Value> {
        let c = self.scalar(&format!("{name}.scale"), s);
        self.mul(name, x, c)
    }

    pub fn matmul(&mut self, name: &str, a: Value, b: Value) -> R<Value> {
        self.op(name, OpKind::MatMul, Attrs::new(), &[a, b])
    }

    pub fn softmax(&mut self, name: &str, x: Value) -> R<Value> {
        self.op(name, OpKind::Softmax, Attrs::new().with("axis", Attr::Int(-1)), &[x])
    }

    /// Exact (erf) GELU.
    pub fn gelu(&mut self, name: &str, x: Value) -> R<Value> {
        self.op(name, OpKind::Gelu, Attrs::new(), &[x])
    }

    pub fn hard_swish(&mut self, name: &str, x: Value) -> R<Value> {
        self.op(name, OpKind::HardSwish, Attrs::new(), &[x])
    }

    /// SiLU as `x · sigmoid(x)` (the IR has no fused SiLU).
    pub fn silu(&mut self, name: &str, x: Value) -> R<Value> {
        let s = self.op(&format!("{name}/sigmoid"), OpKind::Sigmoid, Attrs::new(), &[x])?;
        self.mul(&format!("{name}/mul"), x, s)
    }

    // ---- layout ----------------------------------------------------------

    /// Reshape with an ONNX target (`0` copies the input axis, `-1` infers one).
    pub fn reshape(&mut self, name: &str, x: Value, target: &[i64]) -> R<Value> {
        let t = self.ints(&format!("{name}.shape"), target);
        self.op(name, OpKind::Reshape, Attrs::new(), &[x, t])
    }

    pub fn transpose(&mut self, name: &str, x: Value, perm: &[i64]) -> R<Value> {
        self.op(name, OpKind::Transpose, Attrs::new().with("perm", Attr::Ints(perm.to_vec())), &[x])
    }

    /// Splits `x` along `axis` into parts of the given sizes.
    pub fn split(&mut self, name: &str, x: Value, axis: i64, sizes: &[usize]) -> R<Vec<Value>> {
        let attrs = Attrs::new().with("axis", Attr::Int(axis)).with("split", ints_attr(sizes));
        self.op_n(name, OpKind::Split, attrs, &[x], sizes.len())
    }

    /// `x[start:end:step]` along each of `axes`.
    pub fn slice(
        &mut self,
        name: &str,
        x: Value,
        axes: &[i64],
        starts: &[i64],
        ends: &[i64],
        steps: &[i64],
    ) -> R<Value> {
        let s = self.ints(&format!("{name}.starts"), starts);
        let e = self.ints(&format!("{name}.ends"), ends);
        let a = self.ints(&format!("{name}.axes"), axes);
        let st = self.ints(&format!("{name}.steps"), steps);
        self.op(name, OpKind::Slice, Attrs::new(), &[x, s, e, a, st])
    }

    pub fn concat(&mut self, name: &str, xs: &[Value], axis: i64) -> R<Value> {
        self.op(name, OpKind::Concat, Attrs::new().with("axis", Attr::Int(axis)), xs)
    }

    /// A reduction (`reduce_mean`, `reduce_max`, ...) over `axes`.
    pub fn reduce(&mut self, name: &str, kind: OpKind, x: Value, axes: &[i64], keepdims: bool) -> R<Value> {
        let attrs =
            Attrs::new().with("axes", Attr::Ints(axes.to_vec())).with("keepdims", Attr::Int(i64::from(keepdims)));
        self.op(name, kind, attrs, &[x])
    }

    /// `x[:, index]`: a gather with a scalar index (drops the axis).
    pub fn select(&mut self, name: &str, x: Value, axis: i64, index: i64) -> R<Value> {
        let i =
            self.graph.add_const(&format!("{name}.index"), Arc::new(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), index))));
        self.op(name, OpKind::Gather, Attrs::new().with("axis", Attr::Int(axis)), &[x, i])
    }

    /// Gathers along `axis` with a constant index tensor.
    pub fn gather(&mut self, name: &str, x: Value, axis: i64, indices: Value) -> R<Value> {
        self.op(name, OpKind::Gather, Attrs::new().with("axis", Attr::Int(axis)), &[x, indices])
    }

    /// Broadcasts a learned `[1, n, C]` token to the batch of `like` (a no-op for batch 1).
    pub fn expand_to_batch(&mut self, name: &str, token: Value, like: Value) -> R<Value> {
        let rest: Vec<i64> = self.ty(token).shape[1..].iter().map(|d| d.known().unwrap_or(1) as i64).collect();
        let batch = self.ty(like).shape[0].clone();
        let target = match batch {
            Dim::Known(1) => return Ok(token),
            Dim::Known(n) => {
                let mut t = vec![n as i64];
                t.extend(&rest);
                self.ints(&format!("{name}.shape"), &t)
            }
            Dim::Sym { .. } => {
                let attrs = Attrs::new().with("start", Attr::Int(0)).with("end", Attr::Int(1));
                let b = self.op(&format!("{name}/batch"), OpKind::Shape, attrs, &[like])?;
                let r = self.ints(&format!("{name}.rest"), &rest);
                self.concat(&format!("{name}/shape"), &[b, r], 0)?
            }
        };
        self.op(name, OpKind::Expand, Attrs::new(), &[token, target])
    }

    /// Multi-head attention core: `softmax(q·k · scale + bias) · v` with
    /// `q: [.., N, d]`, `k` already transposed to `[.., d, M]`, `v: [.., M, dv]`.
    /// `scale` multiplies the logits; `bias` is added after scaling.
    pub fn attention(
        &mut self,
        prefix: &str,
        q: Value,
        k: Value,
        v: Value,
        scale: f32,
        bias: Option<Value>,
    ) -> R<Value> {
        let logits = self.matmul(&format!("{prefix}/qk"), q, k)?;
        let mut logits = self.scale(&format!("{prefix}/scale"), logits, scale)?;
        if let Some(b) = bias {
            logits = self.add(&format!("{prefix}/bias"), logits, b)?;
        }
        let p = self.softmax(&format!("{prefix}/softmax"), logits)?;
        self.matmul(&format!("{prefix}/av"), p, v)
    }

    /// The Linear + GELU + Linear MLP of ViT-style blocks (`fc1`, `fc2`).
    pub fn mlp(&mut self, prefix: &str, x: Value, dim: usize, hidden: usize) -> R<Value> {
        let h = self.linear(&format!("{prefix}.fc1"), x, dim, hidden, true)?;
        let h = self.gelu(&format!("{prefix}/gelu"), h)?;
        self.linear(&format!("{prefix}.fc2"), h, hidden, dim, true)
    }

    /// `[B, C, H, W]` → `[B, H·W, C]` (the token layout of a conv stem).
    pub fn nchw_to_tokens(&mut self, name: &str, x: Value, channels: usize) -> R<Value> {
        let flat = self.reshape(&format!("{name}/flatten"), x, &[0, channels as i64, -1])?;
        self.transpose(&format!("{name}/transpose"), flat, &[0, 2, 1])
    }

    /// `[B, H·W, C]` → `[B, C, H, W]`.
    pub fn tokens_to_nchw(&mut self, name: &str, x: Value, channels: usize, h: usize, w: usize) -> R<Value> {
        let t = self.transpose(&format!("{name}/transpose"), x, &[0, 2, 1])?;
        self.reshape(&format!("{name}/reshape"), t, &[0, channels as i64, h as i64, w as i64])
    }
}

/// An i64 array of the given shape from row-major values.
pub fn index_array(shape: &[usize], values: Vec<i64>) -> ArrayD<i64> {
    ArrayD::from_shape_vec(IxDyn(shape), values).unwrap_or_else(|_| ArrayD::zeros(IxDyn(shape)))
}

/// Swaps the last two axes (row-major result).
pub fn swap_last_two(a: ArrayD<f32>) -> ArrayD<f32> {
    let r = a.ndim();
    if r < 2 {
        return a;
    }
    let mut v = a;
    v.swap_axes(r - 2, r - 1);
    v.as_standard_layout().into_owned()
}
