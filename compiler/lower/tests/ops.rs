//! Op by op: small graphs built in code are lowered, run by the reference
//! executor with 1, 2 and 3 chunks per kernel, and compared with the
//! reference interpreter (the ONNX semantics). Also the errors the lowering
//! gives for what the native backends cannot do.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::sync::Arc;
use vitc_ir::dim::{Dim, known_shape};
use vitc_ir::ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, DType, Graph, OpKind, Tensor, Value, ValueType};
use vitc_lower::{Gemm, Map, Resample};
use vitc_lower::{Kernel, LowerOptions, lower, reference};

/// Deterministic values in [-2, 2).
fn values(n: usize, seed: u64) -> Vec<f32> {
    vitc_testkit::Rng::new(seed).vec(n, -2.0, 2.0)
}

fn tensor(dims: &[usize], seed: u64) -> Tensor {
    let n = dims.iter().product();
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(dims), values(n, seed)).unwrap())
}

/// A graph under construction.
struct G {
    g: Graph,
    seed: u64,
}

impl G {
    fn new() -> G {
        G { g: Graph::new("case"), seed: 1 }
    }
    fn input(&mut self, dims: &[usize]) -> Value {
        let name = format!("in{}", self.g.inputs.len());
        self.g.add_input(&name, ValueType::new(DType::F32, known_shape(dims)))
    }
    fn weight(&mut self, dims: &[usize]) -> Value {
        self.seed += 1;
        self.g.add_const("w", Arc::new(tensor(dims, self.seed)))
    }
    fn positive(&mut self, dims: &[usize]) -> Value {
        self.seed += 1;
        let n = dims.iter().product();
        let v: Vec<f32> = values(n, self.seed).iter().map(|x| x.abs() + 0.5).collect();
        self.g.add_const("p", Arc::new(Tensor::F32(ArrayD::from_shape_vec(IxDyn(dims), v).unwrap())))
    }
    fn scalar(&mut self, v: f32) -> Value {
        self.g.add_const("s", Arc::new(Tensor::f32_scalar(v)))
    }
    fn ints(&mut self, v: &[i64]) -> Value {
        self.g.add_const("i", Arc::new(Tensor::i64_vec(v)))
    }
    fn op(&mut self, op: OpKind, attrs: Attrs, operands: &[Option<Value>]) -> Value {
        let name = format!("/n{}", self.g.node_count());
        self.g.add_op1(&name, op, attrs, operands).unwrap()
    }
    fn op2(&mut self, op: OpKind, operands: &[Value]) -> Value {
        let ops: Vec<Option<Value>> = operands.iter().map(|v| Some(*v)).collect();
        self.op(op, Attrs::new(), &ops)
    }
    fn out(mut self, outs: &[Value]) -> Graph {
        for (i, v) in outs.iter().enumerate() {
            self.g.outputs.push((format!("out{i}"), *v));
        }
        self.g
    }
}

fn ints(v: &[i64]) -> Attr {
    Attr::Ints(v.to_vec())
}

/// Lowers `graph`, runs it with several chunkings and compares every
/// output with the interpreter's. Returns the program for further checks.
fn check(graph: &Graph) -> vitc_lower::Program {
    let inputs: Vec<Tensor> = graph
        .inputs
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let dims: Vec<usize> = graph.node(id).outputs[0].shape.iter().map(|d| d.known().unwrap_or(2)).collect();
            tensor(&dims, 100 + i as u64)
        })
        .collect();
    let want = vitc_interp::run(graph, &inputs).unwrap();
    let program = lower(graph, &LowerOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(program.outputs.len(), want.len());
    program.validate().unwrap_or_else(|e| panic!("{e}"));
    let data: Vec<Vec<f32>> = inputs.iter().map(|t| t.as_f32().unwrap().iter().copied().collect()).collect();
    let refs: Vec<&[f32]> = data.iter().map(Vec::as_slice).collect();
    for chunks in 1..=3 {
        let got = reference::execute(&program, &refs, chunks).unwrap_or_else(|e| panic!("{e}"));
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let w = w.to_f64_vec();
            assert_eq!(g.len(), w.len(), "output {i} size");
            let scale = w.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (j, (a, b)) in g.iter().zip(&w).enumerate() {
                let ok = (f64::from(*a) - b).abs() <= 2e-5 * scale || (a.is_nan() && b.is_nan());
                assert!(ok, "output {i}[{j}]: lowered {a} vs interpreter {b} (chunks {chunks})");
            }
        }
    }
    program
}

fn count(p: &vitc_lower::Program, name: &str) -> usize {
    p.kernels.iter().filter(|k| k.name() == name).count()
}

#[test]
fn matmul_with_packed_weights_bias_and_activation_is_one_gemm() {
    let mut g = G::new();
    let x = g.input(&[2, 3, 4, 5]);
    let w = g.weight(&[5, 6]);
    let b = g.weight(&[6]);
    let y = g.op2(OpKind::MatMul, &[x, w]);
    let y = g.op2(OpKind::Add, &[y, b]);
    let y = g.op2(OpKind::Relu, &[y]);
    let p = check(&g.out(&[y]));
    assert_eq!(p.kernels.len(), 1, "{:?}", p.kernels);
    let Kernel::Gemm(Gemm { m, batch, .. }) = &p.kernels[0] else { panic!("not a gemm") };
    assert_eq!((*m, *batch), (24, 1), "the batch folds into the rows");
}

#[test]
fn batched_matmuls_broadcast_and_read_transposed_views() {
    let mut g = G::new();
    let a = g.input(&[2, 1, 4, 5]);
    let b = g.input(&[3, 6, 5]);
    let bt = g.op(OpKind::Transpose, Attrs::new().with("perm", ints(&[0, 2, 1])), &[Some(b)]);
    let y = g.op2(OpKind::MatMul, &[a, bt]);
    let y = g.op(OpKind::Transpose, Attrs::new().with("perm", ints(&[0, 2, 1, 3])), &[Some(y)]);
    let p = check(&g.out(&[y]));
    assert_eq!(count(&p, "map"), 0, "transposes are views or absorbed: {:?}", p.kernels);
}

#[test]
fn matmul_vectors_and_constant_left_operands() {
    let mut g = G::new();
    let v = g.input(&[5]);
    let m = g.input(&[5, 3]);
    let w = g.weight(&[4, 5]);
    let y1 = g.op2(OpKind::MatMul, &[v, m]);
    let y2 = g.op2(OpKind::MatMul, &[w, m]);
    let mt = g.op(OpKind::Transpose, Attrs::new(), &[Some(m)]);
    let y3 = g.op2(OpKind::MatMul, &[mt, v]);
    check(&g.out(&[y1, y2, y3]));
}

#[test]
fn gemm_attributes_and_bias_forms() {
    for (ta, tb, c_dims) in [(0, 1, vec![6]), (1, 0, vec![4, 1]), (1, 1, vec![]), (0, 0, vec![4, 6])] {
        let mut g = G::new();
        let a_dims = if ta == 1 { [5, 4] } else { [4, 5] };
        let a = g.input(&a_dims);
        let b = g.weight(if tb == 1 { &[6, 5] } else { &[5, 6] });
        let c = if c_dims.len() == 2 && ta == 0 { g.input(&c_dims) } else { g.weight(&c_dims) };
        let attrs = Attrs::new()
            .with("transA", Attr::Int(ta))
            .with("transB", Attr::Int(tb))
            .with("alpha", Attr::Float(0.5))
            .with("beta", Attr::Float(2.0));
        let y = g.op(OpKind::Gemm, attrs, &[Some(a), Some(b), Some(c)]);
        check(&g.out(&[y]));
    }
    // Both operands at run time, alpha on A.
    let mut g = G::new();
    let a = g.input(&[3, 4]);
    let b = g.input(&[4, 2]);
    let y = g.op(OpKind::Gemm, Attrs::new().with("alpha", Attr::Float(3.0)), &[Some(a), Some(b), None]);
    check(&g.out(&[y]));
}

#[test]
fn residual_adds_fuse_into_the_gemm() {
    let mut g = G::new();
    let x = g.input(&[1, 7, 8]);
    let w = g.weight(&[8, 8]);
    let b = g.weight(&[8]);
    let y = g.op2(OpKind::MatMul, &[x, w]);
    let y = g.op2(OpKind::Add, &[y, b]);
    let y = g.op2(OpKind::Add, &[x, y]);
    let p = check(&g.out(&[y]));
    assert_eq!(p.kernels.len(), 1, "{:?}", p.kernels);
}

#[test]
fn einsum_batched_products_and_permutations() {
    let mut g = G::new();
    let q = g.input(&[2, 3, 4, 5]);
    let k = g.input(&[2, 3, 6, 5]);
    let y1 =
        g.op(OpKind::Einsum, Attrs::new().with("equation", Attr::Str("bhid,bhjd->bhij".into())), &[Some(q), Some(k)]);
    let y2 = g.op(OpKind::Einsum, Attrs::new().with("equation", Attr::Str("bhid->bdhi".into())), &[Some(q)]);
    let m = g.input(&[5, 7]);
    let y3 =
        g.op(OpKind::Einsum, Attrs::new().with("equation", Attr::Str("bhid,dj->bihj".into())), &[Some(q), Some(m)]);
    check(&g.out(&[y1, y2, y3]));
}

fn conv_attrs(k: i64, stride: i64, pad: i64, dil: i64, group: i64) -> Attrs {
    Attrs::new()
        .with("kernel_shape", ints(&[k, k]))
        .with("strides", ints(&[stride, stride]))
        .with("pads", ints(&[pad, pad, pad, pad]))
        .with("dilations", ints(&[dil, dil]))
        .with("group", Attr::Int(group))
}

#[test]
fn dense_convolution_with_batch_norm_and_activation() {
    let mut g = G::new();
    let x = g.input(&[2, 3, 9, 8]);
    let w = g.weight(&[4, 3, 3, 3]);
    let b = g.weight(&[4]);
    let y = g.op(OpKind::Conv, conv_attrs(3, 2, 1, 1, 1), &[Some(x), Some(w), Some(b)]);
    let (s, bb, m) = (g.weight(&[4]), g.weight(&[4]), g.weight(&[4]));
    let v = g.positive(&[4]);
    let y = g.op(OpKind::BatchNormalization, Attrs::new(), &[Some(y), Some(s), Some(bb), Some(m), Some(v)]);
    let y = g.op2(OpKind::HardSwish, &[y]);
    let p = check(&g.out(&[y]));
    assert_eq!(count(&p, "gemm"), 1);
    assert_eq!(count(&p, "map"), 1, "only the copy to the output slot: {:?}", p.kernels);
}

#[test]
fn grouped_depthwise_and_one_by_one_convolutions() {
    let mut g = G::new();
    let x = g.input(&[3, 4, 7, 6]);
    let w = g.weight(&[6, 2, 3, 3]);
    let y1 = g.op(OpKind::Conv, conv_attrs(3, 1, 2, 2, 2), &[Some(x), Some(w), None]);
    let wd = g.weight(&[4, 1, 3, 3]);
    let bd = g.weight(&[4]);
    let y2 = g.op(OpKind::Conv, conv_attrs(3, 2, 1, 1, 4), &[Some(x), Some(wd), Some(bd)]);
    let y2 = g.op2(OpKind::Sigmoid, &[y2]);
    let p1 = g.input(&[5, 6, 1, 1]);
    let w1 = g.weight(&[9, 2, 1, 1]);
    let y3 = g.op(OpKind::Conv, conv_attrs(1, 1, 0, 1, 3), &[Some(p1), Some(w1), None]);
    check(&g.out(&[y1, y2, y3]));
}

#[test]
fn one_dimensional_convolution_and_pools() {
    let mut g = G::new();
    let x = g.input(&[2, 3, 11]);
    let w = g.weight(&[4, 3, 3]);
    let attrs = Attrs::new().with("strides", ints(&[2])).with("pads", ints(&[1, 1]));
    let y = g.op(OpKind::Conv, attrs, &[Some(x), Some(w), None]);
    let pool = Attrs::new().with("kernel_shape", ints(&[2])).with("strides", ints(&[2]));
    let z = g.op(OpKind::MaxPool, pool, &[Some(x)]);
    check(&g.out(&[y, z]));
}

#[test]
fn transposed_convolution() {
    let mut g = G::new();
    let x = g.input(&[2, 4, 5, 6]);
    let w = g.weight(&[4, 3, 3, 3]);
    let b = g.weight(&[6]);
    let attrs = Attrs::new()
        .with("strides", ints(&[2, 2]))
        .with("pads", ints(&[1, 1, 1, 1]))
        .with("output_padding", ints(&[1, 1]))
        .with("group", Attr::Int(2));
    let y = g.op(OpKind::ConvTranspose, attrs, &[Some(x), Some(w), Some(b)]);
    check(&g.out(&[y]));
}

#[test]
fn pools_with_padding_and_ceil_mode() {
    let mut g = G::new();
    let x = g.input(&[2, 3, 9, 10]);
    let max = Attrs::new()
        .with("kernel_shape", ints(&[3, 3]))
        .with("strides", ints(&[2, 2]))
        .with("pads", ints(&[1, 1, 1, 1]));
    let y1 = g.op(OpKind::MaxPool, max, &[Some(x)]);
    let avg = Attrs::new().with("kernel_shape", ints(&[3, 2])).with("pads", ints(&[1, 0, 1, 1]));
    let y2 = g.op(OpKind::AveragePool, avg.clone(), &[Some(x)]);
    let y3 = g.op(OpKind::AveragePool, avg.with("count_include_pad", Attr::Int(1)), &[Some(x)]);
    let ceil =
        Attrs::new().with("kernel_shape", ints(&[2, 2])).with("strides", ints(&[2, 2])).with("ceil_mode", Attr::Int(1));
    let y4 = g.op(OpKind::AveragePool, ceil, &[Some(x)]);
    let y5 = g.op2(OpKind::GlobalAveragePool, &[x]);
    check(&g.out(&[y1, y2, y3, y4, y5]));
}

#[test]
fn softmax_layer_norm_and_reductions_on_any_axes() {
    let mut g = G::new();
    let x = g.input(&[2, 3, 4]);
    let y1 = g.op(OpKind::Softmax, Attrs::new().with("axis", Attr::Int(1)), &[Some(x)]);
    let y2 = g.op(OpKind::Softmax, Attrs::new(), &[Some(x)]);
    let s = g.weight(&[4]);
    let b = g.weight(&[3, 4]);
    let ln = Attrs::new().with("axis", Attr::Int(-2)).with("epsilon", Attr::Float(1e-3));
    let y3 = g.op(OpKind::LayerNormalization, ln, &[Some(x), Some(s), Some(b)]);
    let r = |axes: &[i64], keep: i64| Attrs::new().with("axes", ints(axes)).with("keepdims", Attr::Int(keep));
    let y4 = g.op(OpKind::ReduceMean, r(&[0, 2], 1), &[Some(x)]);
    let y5 = g.op(OpKind::ReduceMax, r(&[1], 0), &[Some(x)]);
    let y6 = g.op(OpKind::ReduceSum, Attrs::new().with("keepdims", Attr::Int(0)), &[Some(x)]);
    let y7 = g.op(OpKind::ReduceMin, r(&[-1, -2], 0), &[Some(x)]);
    check(&g.out(&[y1, y2, y3, y4, y5, y6, y7]));
}

#[test]
fn layout_ops_are_views_or_copies() {
    let mut g = G::new();
    let x = g.input(&[2, 5, 6]);
    let (st, en, ax, sp) = (g.ints(&[-1, 1]), g.ints(&[-100, 5]), g.ints(&[2, 1]), g.ints(&[-2, 2]));
    let y1 = g.op(OpKind::Slice, Attrs::new(), &[Some(x), Some(st), Some(en), Some(ax), Some(sp)]);
    let y1 = g.op2(OpKind::Neg, &[y1]);
    let split = Attrs::new().with("axis", Attr::Int(2)).with("split", ints(&[1, 2, 3]));
    let parts: Vec<Value> = g.g.add_op("/split", OpKind::Split, split, &[Some(x)], 3).unwrap();
    let c = g.weight(&[2, 2, 6]);
    let y2 = g.op(OpKind::Concat, Attrs::new().with("axis", Attr::Int(1)), &[Some(x), Some(c), Some(x)]);
    let y3 = g.op(OpKind::Concat, Attrs::new().with("axis", Attr::Int(2)), &[Some(parts[2]), Some(parts[0])]);
    let idx = g.g.add_const("idx", Arc::new(Tensor::i64_vec(&[2, 0, -1, 2])));
    let y4 = g.op(OpKind::Gather, Attrs::new().with("axis", Attr::Int(1)), &[Some(x), Some(idx)]);
    let one = g.g.add_const("one", Arc::new(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), 1))));
    let y5 = g.op(OpKind::Gather, Attrs::new().with("axis", Attr::Int(2)), &[Some(x), Some(one)]);
    let shape = g.ints(&[3, 2, 5, 6]);
    let y6 = g.op2(OpKind::Expand, &[x, shape]);
    let t = g.op(OpKind::Transpose, Attrs::new().with("perm", ints(&[0, 2, 1])), &[Some(x)]);
    let target = g.ints(&[2, 30]);
    let y7 = g.op2(OpKind::Reshape, &[t, target]);
    let y7 = g.op2(OpKind::Sigmoid, &[y7]);
    let y8 = g.op(OpKind::Flatten, Attrs::new().with("axis", Attr::Int(2)), &[Some(t)]);
    let y9 = g.op(OpKind::Unsqueeze, Attrs::new().with("axes", ints(&[0, 3])), &[Some(parts[1])]);
    check(&g.out(&[y1, y2, y3, y4, y5, y6, y7, y8, y9, parts[0]]));
}

#[test]
fn pads_in_every_mode() {
    for mode in ["constant", "reflect", "edge", "wrap"] {
        let mut g = G::new();
        let x = g.input(&[2, 3, 4, 5]);
        let pads = g.ints(&[0, 0, 1, 2, 0, 0, 2, -1]);
        let value = g.scalar(0.25);
        let y =
            g.op(OpKind::Pad, Attrs::new().with("mode", Attr::Str(mode.into())), &[Some(x), Some(pads), Some(value)]);
        check(&g.out(&[y]));
    }
}

#[test]
fn element_wise_ops_and_their_rewrites() {
    let mut g = G::new();
    let x = g.input(&[3, 4]);
    let y = g.input(&[4]);
    let p = g.positive(&[3, 4]);
    let mut outs = Vec::new();
    for op in [OpKind::Neg, OpKind::Abs, OpKind::Exp, OpKind::Erf, OpKind::Tanh, OpKind::Reciprocal, OpKind::HardSwish]
    {
        outs.push(g.op2(op, &[x]));
    }
    let ax = g.op2(OpKind::Abs, &[x]);
    outs.push(g.op2(OpKind::Sqrt, &[ax]));
    outs.push(g.op2(OpKind::Log, &[ax]));
    outs.push(g.op(OpKind::HardSigmoid, Attrs::new().with("alpha", Attr::Float(0.3)), &[Some(x)]));
    outs.push(g.op(OpKind::Gelu, Attrs::new().with("approximate", Attr::Str("tanh".into())), &[Some(x)]));
    outs.push(g.op2(OpKind::Sub, &[y, x]));
    outs.push(g.op2(OpKind::Div, &[x, p]));
    for e in [2.0, 0.5, 3.0, 1.0] {
        let e = g.scalar(e);
        outs.push(g.op2(OpKind::Pow, &[p, e]));
    }
    let m = g.op2(OpKind::Mul, &[x, y]);
    outs.push(g.op2(OpKind::Add, &[p, m]));
    // GELU spelled with Erf.
    let r2 = g.scalar(std::f32::consts::SQRT_2);
    let d = g.op2(OpKind::Div, &[x, r2]);
    let e = g.op2(OpKind::Erf, &[d]);
    let one = g.scalar(1.0);
    let a = g.op2(OpKind::Add, &[e, one]);
    let xm = g.op2(OpKind::Mul, &[x, a]);
    let half = g.scalar(0.5);
    outs.push(g.op2(OpKind::Mul, &[xm, half]));
    // BatchNormalization on its own.
    let (s, b, mu) = (g.weight(&[4]), g.weight(&[4]), g.weight(&[4]));
    let v = g.positive(&[4]);
    let z = g.input(&[2, 4, 3]);
    outs.push(g.op(OpKind::BatchNormalization, Attrs::new(), &[Some(z), Some(s), Some(b), Some(mu), Some(v)]));
    check(&g.out(&outs));
}

#[test]
fn nearest_resize_by_scales_and_sizes() {
    let mut g = G::new();
    let x = g.input(&[1, 2, 3, 4]);
    let scales = g.g.add_const(
        "scales",
        Arc::new(Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[4]), vec![1.0, 1.0, 2.0, 1.5]).unwrap())),
    );
    let y1 =
        g.op(OpKind::Resize, Attrs::new().with("mode", Attr::Str("nearest".into())), &[Some(x), None, Some(scales)]);
    let sizes = g.ints(&[1, 2, 2, 2]);
    let y2 = g.op(OpKind::Resize, Attrs::new(), &[Some(x), None, None, Some(sizes)]);
    check(&g.out(&[y1, y2]));
}

#[test]
fn outputs_that_are_inputs_constants_or_repeated() {
    let mut g = G::new();
    let x = g.input(&[2, 3]);
    let c = g.weight(&[3]);
    let y = g.op2(OpKind::Exp, &[x]);
    let p = check(&g.out(&[x, c, y, y]));
    let slots: Vec<usize> = p.outputs.iter().map(|s| s.offset).collect();
    assert!(slots.windows(2).all(|w| w[0] != w[1]), "every output has its own slot");
}

/// A graph with a symbolic batch: lowered for one image, run per image.
fn dynamic_graph(softmax_axis: i64) -> Graph {
    let mut g = Graph::new("dyn");
    let x = g.add_input("x", ValueType::new(DType::F32, vec![Dim::sym("batch"), Dim::Known(4), Dim::Known(6)]));
    let w = g.add_const("w", Arc::new(tensor(&[6, 5], 7)));
    let y = g.add_op1("/mm", OpKind::MatMul, Attrs::new(), &[Some(x), Some(w)]).unwrap();
    let y = g.add_op1("/sm", OpKind::Softmax, Attrs::new().with("axis", Attr::Int(softmax_axis)), &[Some(y)]).unwrap();
    let y = g.add_op1("/fl", OpKind::Flatten, Attrs::new().with("axis", Attr::Int(1)), &[Some(y)]).unwrap();
    g.outputs.push(("y".into(), y));
    g
}

#[test]
fn a_symbolic_batch_runs_image_by_image() {
    let graph = dynamic_graph(-1);
    let program = lower(&graph, &LowerOptions { max_batch: 8, ..Default::default() }).unwrap();
    assert!(program.batch.dynamic && program.batch.max_batch == 8);
    assert_eq!(program.inputs[0].dims, vec![1, 4, 6]);
    let x = tensor(&[3, 4, 6], 5);
    let want = vitc_interp::run(&graph, std::slice::from_ref(&x)).unwrap()[0].to_f64_vec();
    let data: Vec<f32> = x.as_f32().unwrap().iter().copied().collect();
    let got = reference::execute_batch(&program, &[&data], 3, 2).unwrap();
    assert_eq!(got[0].len(), want.len());
    for (a, b) in got[0].iter().zip(&want) {
        assert!((f64::from(*a) - b).abs() < 1e-6);
    }
    assert!(reference::execute_batch(&program, &[&data], 9, 1).is_err());
}

#[test]
fn a_batch_that_is_mixed_is_rejected() {
    let err = lower(&dynamic_graph(0), &LowerOptions::default()).unwrap_err().to_string();
    assert!(err.contains("'/sm'") && err.contains("batch"), "{err}");
}

#[test]
fn cubic_and_linear_resize_match_the_interpreter() {
    for (mode, transform, scales) in [
        ("cubic", "half_pixel", [1.0, 1.0, 2.0, 1.5]),
        ("cubic", "align_corners", [1.0, 1.0, 0.6, 0.8]),
        ("linear", "asymmetric", [1.0, 1.0, 1.7, 0.5]),
    ] {
        let mut g = G::new();
        let x = g.input(&[1, 2, 5, 6]);
        let scales = g
            .g
            .add_const("scales", Arc::new(Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[4]), scales.to_vec()).unwrap())));
        let attrs = Attrs::new()
            .with("mode", Attr::Str(mode.into()))
            .with("coordinate_transformation_mode", Attr::Str(transform.into()));
        let y = g.op(OpKind::Resize, attrs, &[Some(x), None, Some(scales)]);
        let p = check(&g.out(&[y]));
        assert_eq!(
            p.kernels.iter().filter(|k| matches!(k, Kernel::Resample(Resample { .. }))).count(),
            2,
            "{mode} {transform}"
        );
    }
}

#[test]
fn comparisons_and_where_on_run_time_values() {
    let mut g = G::new();
    let x = g.input(&[3, 4]);
    let y = g.input(&[4]);
    let c = g.op2(OpKind::Less, &[x, y]);
    let w = g.op2(OpKind::Where, &[c, x, y]);
    let e = g.op2(OpKind::Greater, &[x, y]);
    let p = check(&g.out(&[w, e]));
    assert_eq!(p.outputs[1].dtype, DType::Bool);
    assert_eq!(p.outputs[0].dtype, DType::F32);
}

#[test]
fn unsupported_forms_name_the_node() {
    let mut g = G::new();
    let x = g.g.add_input("ints", ValueType::new(DType::I32, known_shape(&[2, 2])));
    let m = g.op2(OpKind::MatMul, &[x, x]);
    let err = lower(&g.out(&[m]), &LowerOptions::default()).unwrap_err().to_string();
    assert!(err.starts_with("node '/n1' (matmul): computes a i32"), "{err}");
    assert!(err.contains("'matmul' has no integer or bool kernel"), "{err}");

    let mut g = G::new();
    let x = g.g.add_input("ints", ValueType::new(DType::I32, known_shape(&[1, 1, 2, 2])));
    let scales = g.g.add_const(
        "scales",
        Arc::new(Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[4]), vec![1.0, 1.0, 2.0, 2.0]).unwrap())),
    );
    let id =
        g.g.add_op(
            "/x",
            OpKind::Resize,
            Attrs::new().with("mode", Attr::Str("cubic".into())),
            &[Some(x), None, Some(scales)],
            1,
        )
        .unwrap();
    let err = lower(&g.out(&id), &LowerOptions::default()).unwrap_err().to_string();
    assert_eq!(err, "node '/x' (resize): mode 'cubic' of integer or bool data is not supported");
}

#[test]
fn reshapes_of_dense_values_alias_their_buffer() {
    let mut g = G::new();
    let x = g.input(&[2, 3, 4]);
    let y = g.op2(OpKind::Exp, &[x]);
    let target = g.ints(&[6, 4]);
    let r = g.op2(OpKind::Reshape, &[y, target]);
    let s = g.op(OpKind::Unsqueeze, Attrs::new().with("axes", ints(&[0])), &[Some(r)]);
    let z = g.op2(OpKind::Tanh, &[s]);
    let p = check(&g.out(&[z]));
    assert_eq!(p.kernels.len(), 2, "reshape and unsqueeze emit nothing: {:?}", p.kernels);
    let (Kernel::Map(Map { out, .. }), Kernel::Map(Map { inputs, .. })) = (&p.kernels[0], &p.kernels[1]) else {
        panic!("two maps expected");
    };
    assert_eq!(inputs[0].at, *out, "the second map reads the first one's buffer");
}
