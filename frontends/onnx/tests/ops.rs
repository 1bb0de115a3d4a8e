//! The canonical forms the frontend produces (see `vitc_ir::op`): axes and
//! split sizes move from inputs to attributes, Cast and ConstantOfShape name
//! IR dtypes, Constant nodes become weights, Dropout becomes identity, ...

mod common;

use common::*;
use vitc_ir::{Attr, DType, Dim, Graph, Node, NodeId, OpKind};
use vitc_onnx::proto::{ModelProto, NodeProto, TensorProto};

fn find(g: &Graph, name: &str) -> NodeId {
    g.node_ids().into_iter().find(|&id| g.node(id).name == name).unwrap_or_else(|| panic!("no node '{name}'"))
}

fn node_of<'g>(g: &'g Graph, name: &str) -> &'g Node {
    g.node(find(g, name))
}

/// One op over x:f32[2,3,4] with the given extra initializers.
fn single(opset: i64, n: NodeProto, inits: Vec<TensorProto>) -> ModelProto {
    let outputs: Vec<_> = n.output.iter().filter(|o| !o.is_empty()).map(|o| out(o)).collect();
    model(opset, vec![value_info("x", FLOAT, &["2", "3", "4"])], inits, vec![n], outputs)
}

fn ints(v: &[i64]) -> Option<Attr> {
    Some(Attr::Ints(v.to_vec()))
}

#[test]
fn reduce_axes_become_an_attribute_at_every_opset() {
    let attr_form = node("ReduceMean", &["x"], &["y"], vec![a_ints("axes", &[-1]), a_int("keepdims", 1)]);
    let g = load(&single(17, attr_form, vec![])).unwrap();
    let n = node_of(&g, "n_y");
    assert_eq!((n.op, n.attrs.get("axes").cloned()), (OpKind::ReduceMean, ints(&[-1])));
    assert_eq!(n.attrs.get("keepdims"), Some(&Attr::Int(1)));
    assert_eq!(g.operands(find(&g, "n_y")).len(), 1);

    for (op, opset) in [("ReduceMean", 18), ("ReduceMax", 18), ("ReduceMin", 20), ("ReduceSum", 13)] {
        let n = node(op, &["x", "axes"], &["y"], vec![a_int("keepdims", 0)]);
        let g = load(&single(opset, n, vec![i64_tensor("axes", &[2], &[0, 2])])).unwrap();
        let id = find(&g, "n_y");
        assert_eq!(g.node(id).attrs.get("axes").cloned(), ints(&[0, 2]), "{op}-{opset}");
        assert_eq!(g.operands(id).len(), 1, "{op}-{opset}: the axes operand is dropped");
        assert_eq!(g.value_type(g.outputs[0].1).shape, vec![Dim::Known(3)], "{op}-{opset}");
    }
}

#[test]
fn absent_or_empty_reduce_axes_leave_the_attribute_out() {
    let n = node("ReduceSum", &["x", "axes"], &["y"], vec![a_int("noop_with_empty_axes", 1)]);
    let g = load(&single(13, n, vec![i64_tensor("axes", &[0], &[])])).unwrap();
    let n = node_of(&g, "n_y");
    assert_eq!(n.attrs.get("axes"), None);
    assert_eq!(n.attrs.get("noop_with_empty_axes"), Some(&Attr::Int(1)));
    let g = load(&single(18, node("ReduceMax", &["x"], &["y"], vec![]), vec![])).unwrap();
    assert_eq!(node_of(&g, "n_y").attrs.get("axes"), None);
}

#[test]
fn squeeze_and_unsqueeze_axes_become_attributes() {
    let m = model(
        13,
        vec![value_info("x", FLOAT, &["2", "1", "4"])],
        vec![i64_tensor("a1", &[1], &[1]), i64_tensor("a0", &[1], &[0])],
        vec![node("Squeeze", &["x", "a1"], &["s"], vec![]), node("Unsqueeze", &["s", "a0"], &["u"], vec![])],
        vec![out("u")],
    );
    let g = load(&m).unwrap();
    assert_eq!(node_of(&g, "n_s").attrs.get("axes").cloned(), ints(&[1]));
    assert_eq!(node_of(&g, "n_u").attrs.get("axes").cloned(), ints(&[0]));
    assert_eq!(g.operands(find(&g, "n_u")).len(), 1);
    let shape = &g.value_type(g.outputs[0].1).shape;
    assert_eq!(shape, &vec![Dim::Known(1), Dim::Known(2), Dim::Known(4)]);
}

#[test]
fn split_sizes_become_an_attribute() {
    let n = node("Split", &["x", "sizes"], &["a", "b"], vec![a_int("axis", 2)]);
    let g = load(&single(13, n, vec![i64_tensor("sizes", &[2], &[1, 3])])).unwrap();
    let id = find(&g, "n_a");
    assert_eq!(g.node(id).attrs.get("split").cloned(), ints(&[1, 3]));
    assert_eq!(g.node(id).outputs.len(), 2);
    assert_eq!(g.operands(id).len(), 1);
}

#[test]
fn split_num_outputs_uses_the_output_count() {
    // Even: nothing to add, the IR splits equally.
    let n = node("Split", &["x"], &["a", "b"], vec![a_int("axis", 2), a_int("num_outputs", 2)]);
    let g = load(&single(18, n, vec![])).unwrap();
    let split = node_of(&g, "n_a");
    assert_eq!((split.attrs.get("split"), split.attrs.get("num_outputs")), (None, None));
    assert_eq!(split.outputs[1].shape, vec![Dim::Known(2), Dim::Known(3), Dim::Known(2)]);
    // Uneven: ONNX-18 makes the last part smaller; the sizes are written out.
    let n = node("Split", &["x"], &["a", "b"], vec![a_int("axis", 1), a_int("num_outputs", 2)]);
    let g = load(&single(18, n, vec![])).unwrap();
    assert_eq!(node_of(&g, "n_a").attrs.get("split").cloned(), ints(&[2, 1]));
    // As in the ONNX reference, the last part may be empty (4 into 3)...
    let n = node("Split", &["x"], &["a", "b", "c"], vec![a_int("axis", 2), a_int("num_outputs", 3)]);
    let g = load(&single(18, n, vec![])).unwrap();
    assert_eq!(node_of(&g, "n_a").attrs.get("split").cloned(), ints(&[2, 2, 0]));
    // ...but not negative (5 into 4 would need 2+2+2).
    let m = model(
        18,
        vec![value_info("x", FLOAT, &["5"])],
        vec![],
        vec![node("Split", &["x"], &["a", "b", "c", "d"], vec![a_int("num_outputs", 4)])],
        vec![out("a")],
    );
    assert!(load_err(&m).contains("cannot be split into 4 parts"));
}

#[test]
fn cast_names_the_ir_dtype() {
    for (code, name, dtype) in [(INT64, "i64", DType::I64), (INT32, "i32", DType::I32), (BOOL, "bool", DType::Bool)] {
        let g = load(&single(19, node("Cast", &["x"], &["y"], vec![a_int("to", code as i64)]), vec![])).unwrap();
        assert_eq!(node_of(&g, "n_y").attrs.get("to"), Some(&Attr::Str(name.into())));
        assert_eq!(g.value_type(g.outputs[0].1).dtype, dtype);
    }
}

#[test]
fn constant_of_shape_names_value_and_dtype() {
    let shape = || i64_tensor("shape", &[2], &[2, 5]);
    let g = load(&single(20, node("ConstantOfShape", &["shape"], &["y"], vec![]), vec![shape()])).unwrap();
    let n = node_of(&g, "n_y");
    assert_eq!(n.attrs.get("value"), Some(&Attr::Float(0.0)));
    assert_eq!(n.attrs.get("dtype"), Some(&Attr::Str("f32".into())));
    assert_eq!(n.outputs[0].shape, vec![Dim::Known(2), Dim::Known(5)]);

    let value = a_tensor("value", i64_tensor("", &[1], &[7]));
    let g = load(&single(20, node("ConstantOfShape", &["shape"], &["y"], vec![value]), vec![shape()])).unwrap();
    let n = node_of(&g, "n_y");
    assert_eq!(n.attrs.get("value"), Some(&Attr::Int(7)));
    assert_eq!(n.attrs.get("dtype"), Some(&Attr::Str("i64".into())));
    assert_eq!(n.outputs[0].dtype, DType::I64);
}

#[test]
fn constants_become_weights_named_after_their_output() {
    let consts = vec![
        node("Constant", &[], &["t"], vec![a_tensor("value", f32_tensor("", &[2], &[1.0, 2.0]))]),
        node("Constant", &[], &["f"], vec![a_float("value_float", 0.5)]),
        node("Constant", &[], &["fs"], vec![a_floats("value_floats", &[1.0, 2.0, 3.0])]),
        node("Constant", &[], &["i"], vec![a_int("value_int", 3)]),
        node("Constant", &[], &["is"], vec![a_ints("value_ints", &[4, 5])]),
    ];
    let names = ["t", "f", "fs", "i", "is"];
    let m = model(17, vec![], vec![], consts, names.iter().map(|n| out(n)).collect());
    let g = load(&m).unwrap();
    let value = |name: &str| {
        let id = g.weights.find(name).unwrap_or_else(|| panic!("no weight '{name}'"));
        g.weights.get(id).tensor.clone()
    };
    assert_eq!(value("t").to_f64_vec(), vec![1.0, 2.0]);
    assert_eq!((value("f").dims().len(), value("f").to_f64_vec()), (0, vec![0.5]));
    assert_eq!(value("fs").dims(), &[3]);
    assert_eq!((value("i").dtype(), value("i").to_i64_vec()), (DType::I64, vec![3]));
    assert_eq!(value("is").to_i64_vec(), vec![4, 5]);
    assert!(g.outputs.iter().all(|(_, v)| g.node(v.node).op == OpKind::Const));

    let bad = node("Constant", &[], &["t"], vec![a_int("value_int", 1), a_float("value_float", 1.0)]);
    let msg = load_err(&model(17, vec![], vec![], vec![bad], vec![out("t")]));
    assert!(msg.contains("exactly one value attribute"), "{msg}");
}

#[test]
fn dropout_becomes_identity() {
    let n = node("Dropout", &["x", "", "mode"], &["y", "mask"], vec![a_int("seed", 3)]);
    let mode = TensorProto { name: "mode".into(), data_type: BOOL, int32_data: vec![0], ..Default::default() };
    let m = model(13, vec![value_info("x", FLOAT, &["4"])], vec![mode], vec![n], vec![out("y")]);
    let g = load(&m).unwrap();
    let id = find(&g, "n_y");
    assert_eq!(g.node(id).op, OpKind::Identity);
    assert!(g.node(id).attrs.is_empty());
    assert_eq!(g.operands(id).len(), 1);
    // The mask is not produced: using it is an error.
    let mut m = m;
    m.graph.as_mut().unwrap().output.push(out("mask"));
    assert!(load_err(&m).contains("output 1 ('mask') is used"));
}

#[test]
fn empty_node_names_are_generated() {
    let mut n = node("Relu", &["x"], &["y"], vec![]);
    n.name = String::new();
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["4"])],
        vec![],
        vec![node("Neg", &["y"], &["z"], vec![]), n],
        vec![out("z")],
    );
    let g = load(&m).unwrap();
    assert_eq!(node_of(&g, "Relu_1").op, OpKind::Relu);
}

#[test]
fn absent_optional_inputs_are_none_operands() {
    let n = node("Resize", &["x", "", "scales"], &["y"], vec![a_str("mode", "nearest")]);
    let g = load(&single(13, n, vec![f32_tensor("scales", &[3], &[1.0, 2.0, 2.0])])).unwrap();
    let id = find(&g, "n_y");
    let ops = g.operands(id);
    assert_eq!(ops.len(), 3);
    assert!(ops[0].is_some() && ops[1].is_none() && ops[2].is_some());
    assert_eq!(g.node(id).attrs.get("mode"), Some(&Attr::Str("nearest".into())));
    assert_eq!(g.node(id).outputs[0].shape, vec![Dim::Known(2), Dim::Known(6), Dim::Known(8)]);
}

#[test]
fn resize_drops_empty_scales_in_favour_of_sizes() {
    let n = node("Resize", &["x", "roi", "scales", "sizes"], &["y"], vec![]);
    let inits =
        vec![f32_tensor("roi", &[0], &[]), f32_tensor("scales", &[0], &[]), i64_tensor("sizes", &[3], &[2, 6, 8])];
    let g = load(&single(13, n, inits)).unwrap();
    let ops = g.operands(find(&g, "n_y"));
    assert!(ops[1].is_none() && ops[2].is_none() && ops[3].is_some(), "{ops:?}");
}

#[test]
fn symbolic_dims_are_sanitised() {
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["batch size", "4"])],
        vec![],
        vec![node("Softmax", &["x"], &["y"], vec![])],
        vec![out("y")],
    );
    let g = load(&m).unwrap();
    assert_eq!(g.value_type(g.outputs[0].1).shape, vec![Dim::sym("batch_size"), Dim::Known(4)]);
    assert_eq!(node_of(&g, "n_y").attrs.get("axis"), None, "softmax keeps the opset-13 default (-1)");
}

#[test]
fn attributes_keep_their_onnx_names() {
    let n = node(
        "Gemm",
        &["x2", "w"],
        &["y"],
        vec![a_float("alpha", 0.5), a_int("transB", 1), a_str("vitc_unknown", "kept")],
    );
    let m = model(
        17,
        vec![value_info("x2", FLOAT, &["2", "3"])],
        vec![f32_tensor("w", &[5, 3], &[0.0; 15])],
        vec![n],
        vec![value_info("y", FLOAT, &["2", "5"])],
    );
    let g = load(&m).unwrap();
    let n = node_of(&g, "n_y");
    assert_eq!(n.attrs.get("alpha"), Some(&Attr::Float(0.5)));
    assert_eq!(n.attrs.get("transB"), Some(&Attr::Int(1)));
    assert_eq!(n.attrs.get("vitc_unknown"), Some(&Attr::Str("kept".into())));
    assert_eq!(n.outputs[0].shape, vec![Dim::Known(2), Dim::Known(5)]);
}

#[test]
fn gelu_from_opset_20() {
    let n = node("Gelu", &["x"], &["y"], vec![a_str("approximate", "tanh")]);
    let g = load(&single(20, n, vec![])).unwrap();
    assert_eq!(node_of(&g, "n_y").attrs.get("approximate"), Some(&Attr::Str("tanh".into())));
    let n = node("Gelu", &["x"], &["y"], vec![a_str("approximate", "erf")]);
    assert!(load_err(&single(20, n, vec![])).contains("attribute 'approximate'"));
}

#[test]
fn pad_takes_axes_from_opset_18() {
    let inits = vec![i64_tensor("pads", &[2], &[1, 1]), i64_tensor("axes", &[1], &[2])];
    let n = node("Pad", &["x", "pads", "", "axes"], &["y"], vec![a_str("mode", "constant")]);
    let g = load(&single(18, n.clone(), inits.clone())).unwrap();
    assert_eq!(g.operands(find(&g, "n_y")).len(), 4);
    assert!(load_err(&single(17, n, inits)).contains("at most 3 inputs"));
}

#[test]
fn pads_computed_from_constants_fold_at_import() {
    // CoaT's export: pads [1, 2] per axis pair, reshaped to 2-D, reversed,
    // transposed and flattened, then cast; Pad needs them while importing.
    let m = model(
        17,
        vec![value_info("x", FLOAT, &["2", "3", "4"])],
        vec![
            i64_tensor("p", &[6], &[0, 0, 0, 1, 1, 2]),
            i64_tensor("pair", &[2], &[-1, 2]),
            i64_tensor("start", &[1], &[-1]),
            i64_tensor("end", &[1], &[-9]),
            i64_tensor("axis0", &[1], &[0]),
            i64_tensor("step", &[1], &[-1]),
            i64_tensor("flat", &[1], &[-1]),
        ],
        vec![
            node("Reshape", &["p", "pair"], &["p2"], vec![]),
            node("Slice", &["p2", "start", "end", "axis0", "step"], &["rev"], vec![]),
            node("Transpose", &["rev"], &["t"], vec![a_ints("perm", &[1, 0])]),
            node("Reshape", &["t", "flat"], &["pads"], vec![]),
            node("Cast", &["pads"], &["pads64"], vec![a_int("to", 7)]),
            node("Pad", &["x", "pads64"], &["y"], vec![]),
        ],
        vec![out("y")],
    );
    let g = load(&m).unwrap();
    // Reversed pairs [[1,2],[0,1],[0,0]] transposed: begins [1,0,0], ends [2,1,0].
    let y = g.outputs[0].1;
    assert_eq!(g.value_type(y).shape, vec![Dim::Known(5), Dim::Known(4), Dim::Known(4)]);
}

#[test]
fn opset_11_attribute_forms_become_the_canonical_attributes() {
    // Squeeze/Unsqueeze axes, Split sizes and ReduceSum axes are attributes before opset 13.
    let g = load(&single(11, node("Unsqueeze", &["x"], &["y"], vec![a_ints("axes", &[0, -1])]), vec![])).unwrap();
    assert_eq!(node_of(&g, "n_y").attrs.get("axes").cloned(), ints(&[0, -1]));
    assert_eq!(g.value_type(g.outputs[0].1).shape.len(), 5);
    let g =
        load(&single(12, node("ReduceSum", &["x"], &["y"], vec![a_ints("axes", &[1]), a_int("keepdims", 0)]), vec![]))
            .unwrap();
    assert_eq!(node_of(&g, "n_y").attrs.get("axes").cloned(), ints(&[1]));
    assert_eq!(g.value_type(g.outputs[0].1).shape, vec![Dim::Known(2), Dim::Known(4)]);
    let split = node("Split", &["x"], &["a", "b"], vec![a_int("axis", 2), a_ints("split", &[1, 3])]);
    let g = load(&single(11, split, vec![])).unwrap();
    assert_eq!(g.value_type(g.outputs[1].1).shape, vec![Dim::Known(2), Dim::Known(3), Dim::Known(3)]);
    // The attribute forms are refused from opset 13, the input forms before.
    let err = load_err(&single(13, node("Squeeze", &["x"], &["y"], vec![a_ints("axes", &[0])]), vec![]));
    assert!(err.contains("the axes are an input, not an attribute"), "{err}");
    let err =
        load_err(&single(11, node("Squeeze", &["x", "axes"], &["y"], vec![]), vec![i64_tensor("axes", &[1], &[0])]));
    assert!(err.contains("takes one input before opset 13"), "{err}");
}

#[test]
fn softmax_before_opset_13_normalises_over_the_flattened_trailing_axes() {
    // Softmax-11 with axis 1 on [2,3,4]: each batch row of 12 values sums to 1.
    for op in ["Softmax", "LogSoftmax", "Hardmax"] {
        let g = load(&single(11, node(op, &["x"], &["y"], vec![]), vec![])).unwrap();
        let x: Vec<f32> = (0..24).map(|i| (i as f32 * 0.37).sin()).collect();
        let input = vitc_ir::Tensor::F32(vitc_ir::ndarray::ArrayD::from_shape_vec(vec![2, 3, 4], x.clone()).unwrap());
        let y = vitc_interp::run(&g, &[input]).unwrap().remove(0);
        assert_eq!(y.dims(), &[2, 3, 4], "{op}");
        for (row, xs) in y.to_f64_vec().chunks(12).zip(x.chunks(12)) {
            let max = xs.iter().fold(f32::MIN, |m, &v| m.max(v)) as f64;
            let sum: f64 = xs.iter().map(|&v| (v as f64 - max).exp()).sum();
            for (got, &v) in row.iter().zip(xs) {
                let want = match op {
                    "Softmax" => (v as f64 - max).exp() / sum,
                    "LogSoftmax" => v as f64 - max - sum.ln(),
                    _ => f64::from(u8::from(v as f64 == max)),
                };
                assert!((got - want).abs() < 1e-6, "{op}: {got} vs {want}");
            }
        }
    }
}

#[test]
fn logical_ops_at_opset_17_compute_their_truth_tables() {
    // The node suite's And/Or/Xor/Not cases are opset 1–7 models; check the
    // ops at a current opset too.
    let nodes = vec![
        node("Not", &["a"], &["not"], vec![]),
        node("And", &["a", "b"], &["and"], vec![]),
        node("Or", &["a", "b"], &["or"], vec![]),
        node("Xor", &["a", "b"], &["xor"], vec![]),
    ];
    let inputs = vec![value_info("a", BOOL, &["4"]), value_info("b", BOOL, &["4"])];
    let outputs = ["not", "and", "or", "xor"].iter().map(|o| out(o)).collect();
    let g = load(&model(17, inputs, vec![], nodes, outputs)).unwrap();
    let bools =
        |v: [bool; 4]| vitc_ir::Tensor::Bool(vitc_ir::ndarray::ArrayD::from_shape_vec(vec![4], v.to_vec()).unwrap());
    let (a, b) = (bools([true, true, false, false]), bools([true, false, true, false]));
    let results = vitc_interp::run(&g, &[a, b]).unwrap();
    let expected = [
        [false, false, true, true],
        [true, false, false, false],
        [true, true, true, false],
        [false, true, true, false],
    ];
    for (got, want) in results.iter().zip(expected) {
        assert_eq!(got, &bools(want));
    }
    let err = load_err(&single(17, node("Not", &["x"], &["y"], vec![]), vec![]));
    assert!(err.contains("Not takes bool tensors, found f32"), "{err}");
}
