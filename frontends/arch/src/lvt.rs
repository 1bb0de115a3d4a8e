//! LVT, the Lite Vision Transformer (Yang et al. 2022), as the official code
//! defines it (Chenglin-Yang/LVT `classification/models/lvt_cls.py`, class
//! `lvt_cls`, on `lvt.py`), with its parameter names. Tensors are NHWC
//! between layers, as in the source.
//!
//! - Four stages (`backbone.s`): an overlapping patch embedding (`.0`: 7×7
//!   stride 4 then 3×3 stride 2 convs, LayerNorm) and pre-norm blocks (`.1.i`).
//! - Stage 1 blocks use **CSA** (convolutional self-attention): attention
//!   weights for each 3×3 neighbourhood come from a Linear on the 2×2
//!   average-pooled map (`attn.attn`, `9·9·heads` outputs); values are the
//!   3×3 unfolded neighbourhoods (stride 2, padding 1) mapped by one `C×C`
//!   matrix per kernel position (`attn.weight`, a 1×1 conv with 9 groups in
//!   the source, a batched matmul here); the weighted neighbourhoods are
//!   folded back by summation. Unfold is `pad` + `gather` with a constant
//!   index; fold is the equivalent `conv_transpose` (group C, one-hot 3×3
//!   kernels, stride 2, padding 1, output padding 1). MLP: Linear, GELU, Linear.
//! - Later stages use **RASA** (recursive atrous self-attention): q from
//!   `attn.q`, then `Σ_d SiLU(DWConv3×3_dilation d(q))` over the atrous rates
//!   with one shared depthwise kernel (`attn.ds.weight`); k, v from `attn.kv`
//!   on the input, spatially reduced by `attn.sr` (conv, kernel = stride =
//!   sr ratio) + `attn.norm` where the ratio exceeds 1. The attention runs
//!   `r_num` times with shared weights: `y = SiLU(A(x))`, then
//!   `y = SiLU(A(y + x))`. MLP: 1×1 conv, depthwise 3×3 conv, GELU, 1×1 conv.
//! - Head: a class token and two class-attention blocks (`post_network`,
//!   only the class token is updated), `norm`, then
//!   `head(x_cls) + 0.5 · max_over_tokens(aux_head(x_tokens))`.

use crate::builder::{Builder, ConvSpec, R, index_array, swap_last_two};
use crate::registry::Variant;
use crate::seeded::Init;
use ndarray::{ArrayD, IxDyn};
use vitc_ir::{Attr, Attrs, OpKind, Tensor, Value};

/// The self-attention of a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaLayer {
    /// Convolutional self-attention (3×3 local attention with unfold/fold).
    Csa,
    /// Recursive atrous self-attention.
    Rasa,
}

/// One LVT configuration (the arguments of `lite_vision_transformer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LvtConfig {
    pub layers: [usize; 4],
    pub embed_dims: [usize; 4],
    pub num_heads: [usize; 4],
    pub mlp_ratios: [usize; 4],
    /// Whether a stage's MLP is convolutional (1×1, depthwise 3×3, 1×1).
    pub mlp_depconv: [bool; 4],
    pub sr_ratios: [usize; 4],
    pub sa_layers: [SaLayer; 4],
    /// RASA's dilation rates of the shared depthwise conv on q.
    pub atrous_rates: &'static [usize],
    /// RASA's recursion count.
    pub r_num: usize,
    /// Class-attention blocks after the backbone.
    pub post_layers: usize,
}

/// The LVT family: the ImageNet model (paper figures from Table 1 of the LVT paper).
pub const CONFIGS: &[Variant<LvtConfig>] = &[Variant {
    name: "lvt",
    description: "LVT (official lvt_cls, ImageNet config): dims 64/64/160/256, CSA + RASA (rates 1/3/5, r_num 2)",
    paper: Some((5.5, 0.9)),
    config: LvtConfig {
        layers: [2, 2, 2, 2],
        embed_dims: [64, 64, 160, 256],
        num_heads: [2, 2, 5, 8],
        mlp_ratios: [4, 8, 4, 4],
        mlp_depconv: [false, true, true, true],
        sr_ratios: [8, 4, 2, 1],
        sa_layers: [SaLayer::Csa, SaLayer::Rasa, SaLayer::Rasa, SaLayer::Rasa],
        atrous_rates: &[1, 3, 5],
        r_num: 2,
        post_layers: 2,
    },
}];

const CLASSES: usize = 1000;
/// PyTorch's `nn.LayerNorm` default.
const LN_EPS: f32 = 1e-5;
/// CSA's window: kernel 3, stride 2, padding 1.
const CSA_K: usize = 3;
const CSA_STRIDE: usize = 2;
const CSA_PAD: usize = 1;

/// Builds the logits of `cfg` from the image `x`.
pub fn build(b: &mut Builder<'_>, x: Value, cfg: &LvtConfig) -> R<Value> {
    let mut x = x;
    let mut prev = 3;
    for s in 0..4 {
        let dim = cfg.embed_dims[s];
        let p = format!("backbone.{s}.0");
        // OverlapPatchEmbed: NCHW conv, then NHWC LayerNorm.
        let img = if s == 0 { x } else { b.transpose(&format!("{p}/to_nchw"), x, &[0, 3, 1, 2])? };
        let spec = if s == 0 { ConvSpec::new(prev, dim, 7, 4, 3) } else { ConvSpec::new(prev, dim, 3, 2, 1) };
        let y = b.conv(&format!("{p}.proj"), img, spec)?;
        let y = b.transpose(&format!("{p}/to_nhwc"), y, &[0, 2, 3, 1])?;
        x = b.layer_norm(&format!("{p}.norm"), y, dim, LN_EPS)?;
        for i in 0..cfg.layers[s] {
            x = block(b, &format!("backbone.{s}.1.{i}"), x, cfg, s)?;
        }
        prev = dim;
    }
    let c = prev;
    let x = b.reshape("tokens", x, &[0, -1, c as i64])?;
    let cls = b.param("cls_token", &[1, 1, c], Init::Normal(0.02))?;
    let cls = b.expand_to_batch("cls_token/expand", cls, x)?;
    let mut x = b.concat("cls_token/concat", &[cls, x], 1)?;
    for i in 0..cfg.post_layers {
        x = class_block(b, &format!("post_network.{i}"), x, c, cfg.num_heads[3], cfg.mlp_ratios[3] * c)?;
    }
    let x = b.layer_norm("norm", x, c, LN_EPS)?;
    let x_cls = b.select("head/cls", x, 1, 0)?;
    let logits = b.linear("head", x_cls, c, CLASSES, true)?;
    let tokens = b.slice("aux_head/tokens", x, &[1], &[1], &[i64::MAX], &[1])?;
    let aux = b.linear("aux_head", tokens, c, CLASSES, true)?;
    let aux = b.reduce("aux_head/max", OpKind::ReduceMax, aux, &[1], false)?;
    let aux = b.scale("aux_head/half", aux, 0.5)?;
    b.add("output/add", logits, aux)
}

/// `Transformer_block`: `x + attn(norm1(x))`, `x + mlp(norm2(x))` on NHWC.
fn block(b: &mut Builder<'_>, p: &str, x: Value, cfg: &LvtConfig, s: usize) -> R<Value> {
    let dim = cfg.embed_dims[s];
    let heads = cfg.num_heads[s];
    let h = b.layer_norm(&format!("{p}.norm1"), x, dim, LN_EPS)?;
    let a = match cfg.sa_layers[s] {
        SaLayer::Csa => csa(b, &format!("{p}.attn"), h, dim, heads)?,
        SaLayer::Rasa => rasa(b, &format!("{p}.attn"), h, dim, heads, cfg.sr_ratios[s], cfg)?,
    };
    let x = b.add(&format!("{p}/residual1"), x, a)?;
    let h = b.layer_norm(&format!("{p}.norm2"), x, dim, LN_EPS)?;
    let hidden = cfg.mlp_ratios[s] * dim;
    let m = if cfg.mlp_depconv[s] {
        conv_mlp(b, &format!("{p}.mlp"), h, dim, hidden)?
    } else {
        b.mlp(&format!("{p}.mlp"), h, dim, hidden)?
    };
    b.add(&format!("{p}/residual2"), x, m)
}

/// `Mlp` with `with_depconv`: 1×1 conv, depthwise 3×3 conv, GELU, 1×1 conv (NCHW inside).
fn conv_mlp(b: &mut Builder<'_>, p: &str, x: Value, dim: usize, hidden: usize) -> R<Value> {
    let y = b.transpose(&format!("{p}/to_nchw"), x, &[0, 3, 1, 2])?;
    let y = b.conv(&format!("{p}.fc1"), y, ConvSpec::new(dim, hidden, 1, 1, 0))?;
    let y = b.conv(&format!("{p}.depconv"), y, ConvSpec::depthwise3(hidden, 1, true))?;
    let y = b.gelu(&format!("{p}/gelu"), y)?;
    let y = b.conv(&format!("{p}.fc2"), y, ConvSpec::new(hidden, dim, 1, 1, 0))?;
    b.transpose(&format!("{p}/to_nhwc"), y, &[0, 2, 3, 1])
}

fn ints(v: &[usize]) -> Attr {
    Attr::Ints(v.iter().map(|&x| x as i64).collect())
}

/// Unfold indices: for kernel position `k = ki·3 + kj` and output position
/// `l = i·w + j`, the flat index `(2i + ki)·(W + 2) + 2j + kj` into the
/// zero-padded `(H + 2) × (W + 2)` map.
pub fn unfold_indices(height: usize, width: usize) -> (Vec<usize>, Vec<i64>) {
    let (h, w) = (out_size(height), out_size(width));
    let padded_w = width + 2 * CSA_PAD;
    let mut idx = Vec::with_capacity(CSA_K * CSA_K * h * w);
    for ki in 0..CSA_K {
        for kj in 0..CSA_K {
            for i in 0..h {
                for j in 0..w {
                    idx.push(((CSA_STRIDE * i + ki) * padded_w + CSA_STRIDE * j + kj) as i64);
                }
            }
        }
    }
    (vec![CSA_K * CSA_K, h * w], idx)
}

/// Positions of the unfolded window along one axis.
fn out_size(n: usize) -> usize {
    (n + 2 * CSA_PAD - CSA_K) / CSA_STRIDE + 1
}

/// The one-hot kernel of `F.fold` as a grouped transposed convolution:
/// `[C·9, 1, 3, 3]`, input channel `c·9 + k` writes kernel tap `k` of channel `c`.
fn fold_kernel(channels: usize) -> Tensor {
    let taps = CSA_K * CSA_K;
    let mut w = vec![0.0f32; channels * taps * taps];
    for c in 0..channels {
        for k in 0..taps {
            w[(c * taps + k) * taps + k] = 1.0;
        }
    }
    Tensor::F32(
        ArrayD::from_shape_vec(IxDyn(&[channels * taps, 1, CSA_K, CSA_K]), w)
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[channels * taps, 1, CSA_K, CSA_K]))),
    )
}

/// `CSA` on NHWC `x` (in_dim = out_dim = `dim`).
fn csa(b: &mut Builder<'_>, p: &str, x: Value, dim: usize, heads: usize) -> R<Value> {
    let shape = &b.ty(x).shape;
    let (height, width) = (shape[1].known().unwrap_or(1), shape[2].known().unwrap_or(1));
    let (h, w) = (out_size(height), out_size(width));
    let (taps, l, hd) = (CSA_K * CSA_K, h * w, dim / heads);
    // Attention weights from the pooled map: [B, heads, L, 9, 9].
    let img = b.transpose(&format!("{p}/to_nchw"), x, &[0, 3, 1, 2])?;
    let pool_attrs = Attrs::new()
        .with("kernel_shape", ints(&[CSA_STRIDE, CSA_STRIDE]))
        .with("strides", ints(&[CSA_STRIDE, CSA_STRIDE]))
        .with("ceil_mode", Attr::Int(1));
    let pooled = b.op(&format!("{p}.pool"), OpKind::AveragePool, pool_attrs, &[img])?;
    let pooled = b.transpose(&format!("{p}.pool/to_nhwc"), pooled, &[0, 2, 3, 1])?;
    let a = b.linear(&format!("{p}.attn"), pooled, dim, taps * taps * heads, true)?;
    let a = b.reshape(&format!("{p}/attn_heads"), a, &[0, l as i64, heads as i64, taps as i64, taps as i64])?;
    let a = b.transpose(&format!("{p}/attn_weights"), a, &[0, 2, 1, 3, 4])?;
    let a = b.scale(&format!("{p}/scale"), a, (hd as f32).powf(-0.5))?;
    let a = b.softmax(&format!("{p}/softmax"), a)?;
    // Values: unfold (pad + gather) → [B, C, 9, L] → per-tap C×C map → [B, heads, L, 9, hd].
    let pads = b.ints(&format!("{p}.unfold/pads"), &[1, 1, 1, 1]);
    let axes = b.ints(&format!("{p}.unfold/axes"), &[2, 3]);
    let padded =
        b.op_opt(&format!("{p}.unfold/pad"), OpKind::Pad, Attrs::new(), &[Some(img), Some(pads), None, Some(axes)])?;
    let flat = b.reshape(&format!("{p}.unfold/flatten"), padded, &[0, dim as i64, -1])?;
    let (idx_shape, idx) = unfold_indices(height, width);
    let idx = b.constant(&format!("{p}.unfold/indices"), Tensor::I64(index_array(&idx_shape, idx)));
    let cols = b.gather(&format!("{p}.unfold/gather"), flat, 2, idx)?;
    let cols = b.transpose(&format!("{p}.unfold/taps_first"), cols, &[0, 2, 3, 1])?;
    let name = format!("{p}.weight.weight");
    let shape = [taps * dim, dim, 1, 1];
    let per_tap = b.param_with(&name, &format!("{name}^T"), &shape, Init::FanIn(dim), |w| {
        let values: Vec<f32> = w.iter().copied().collect();
        let stacked = ArrayD::from_shape_vec(IxDyn(&[taps, dim, dim]), values)
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[taps, dim, dim])));
        swap_last_two(stacked)
    })?;
    let v = b.matmul(&format!("{p}.weight/matmul"), cols, per_tap)?;
    let v = b.reshape(&format!("{p}/v_heads"), v, &[0, taps as i64, l as i64, heads as i64, hd as i64])?;
    let v = b.transpose(&format!("{p}/v"), v, &[0, 3, 2, 1, 4])?;
    let o = b.matmul(&format!("{p}/av"), a, v)?;
    // Fold: [B, heads, L, 9, hd] → [B, C·9, h, w] → transposed conv → [B, C, H, W].
    let o = b.transpose(&format!("{p}.fold/channels_first"), o, &[0, 1, 4, 3, 2])?;
    let o = b.reshape(&format!("{p}.fold/columns"), o, &[0, (dim * taps) as i64, h as i64, w as i64])?;
    let kernel = b.constant(&format!("{p}.fold/kernel"), fold_kernel(dim));
    // The rows/columns a transposed conv does not reach; fold's output size fixes them.
    let extra = |full: usize, n: usize| full.saturating_sub((n.max(1) - 1) * CSA_STRIDE + CSA_K - 2 * CSA_PAD);
    let fold_attrs = Attrs::new()
        .with("kernel_shape", ints(&[CSA_K, CSA_K]))
        .with("strides", ints(&[CSA_STRIDE, CSA_STRIDE]))
        .with("pads", ints(&[CSA_PAD; 4]))
        .with("output_padding", ints(&[extra(height, h), extra(width, w)]))
        .with("group", Attr::Int(dim as i64));
    let folded = b.op(&format!("{p}.fold/conv_transpose"), OpKind::ConvTranspose, fold_attrs, &[o, kernel])?;
    let y = b.transpose(&format!("{p}.fold/to_nhwc"), folded, &[0, 2, 3, 1])?;
    b.linear(&format!("{p}.proj"), y, dim, dim, true)
}

/// RASA (`Attention` with `rasa_cfg`): `r_num` applications of one attention.
fn rasa(b: &mut Builder<'_>, p: &str, x: Value, dim: usize, heads: usize, sr: usize, cfg: &LvtConfig) -> R<Value> {
    let mut y = inner_attention(b, p, 0, x, dim, heads, sr, cfg.atrous_rates)?;
    if cfg.r_num > 1 {
        y = b.silu(&format!("{p}/r0/silu"), y)?;
    }
    let mut x_in = x;
    for r in 1..cfg.r_num {
        y = b.add(&format!("{p}/r{r}/recurse"), y, x_in)?;
        x_in = y;
        y = inner_attention(b, p, r, y, dim, heads, sr, cfg.atrous_rates)?;
        y = b.silu(&format!("{p}/r{r}/silu"), y)?;
    }
    Ok(y)
}

/// `Attention._inner_attention`, recursion step `r` (weights shared across steps).
#[allow(clippy::too_many_arguments)]
fn inner_attention(
    b: &mut Builder<'_>,
    p: &str,
    r: usize,
    x: Value,
    dim: usize,
    heads: usize,
    sr: usize,
    rates: &[usize],
) -> R<Value> {
    let n = format!("{p}/r{r}");
    let shape = &b.ty(x).shape;
    let (height, width) = (shape[1].known().unwrap_or(1) as i64, shape[2].known().unwrap_or(1) as i64);
    let hd = dim / heads;
    let q = b.linear_as(&format!("{n}.q"), &format!("{p}.q"), x, dim, dim, false)?;
    let mut q = b.transpose(&format!("{n}/q_nchw"), q, &[0, 3, 1, 2])?;
    if !rates.is_empty() {
        let mut sum = None;
        for &d in rates {
            let node = format!("{n}.ds/d{d}");
            let c = b.conv_as(&node, &format!("{p}.ds"), q, ConvSpec::depthwise3(dim, d, false))?;
            let c = b.silu(&format!("{node}/silu"), c)?;
            sum = Some(match sum {
                None => c,
                Some(s) => b.add(&format!("{node}/sum"), s, c)?,
            });
        }
        q = sum.unwrap_or(q);
    }
    let q = b.reshape(&format!("{n}/q_heads"), q, &[0, heads as i64, hd as i64, height * width])?;
    let q = b.transpose(&format!("{n}/q"), q, &[0, 1, 3, 2])?;
    let kv_in = if sr > 1 {
        let img = b.transpose(&format!("{n}/sr_nchw"), x, &[0, 3, 1, 2])?;
        let y = b.conv_as(&format!("{n}.sr"), &format!("{p}.sr"), img, ConvSpec::new(dim, dim, sr, sr, 0))?;
        let y = b.transpose(&format!("{n}/sr_nhwc"), y, &[0, 2, 3, 1])?;
        b.layer_norm_as(&format!("{n}.norm"), &format!("{p}.norm"), y, dim, LN_EPS)?
    } else {
        x
    };
    let kv = b.linear_as(&format!("{n}.kv"), &format!("{p}.kv"), kv_in, dim, 2 * dim, false)?;
    let kv = b.reshape(&format!("{n}/kv_tokens"), kv, &[0, -1, 2 * dim as i64])?;
    let parts = b.split(&format!("{n}/split_kv"), kv, 2, &[dim, dim])?;
    let head_shape = [0, 0, heads as i64, hd as i64];
    let k = b.reshape(&format!("{n}/k_heads"), parts[0], &head_shape)?;
    let k = b.transpose(&format!("{n}/k"), k, &[0, 2, 3, 1])?;
    let v = b.reshape(&format!("{n}/v_heads"), parts[1], &head_shape)?;
    let v = b.transpose(&format!("{n}/v"), v, &[0, 2, 1, 3])?;
    let o = b.attention(&n, q, k, v, (hd as f32).powf(-0.5), None)?;
    let o = b.transpose(&format!("{n}/merge_heads"), o, &[0, 2, 1, 3])?;
    let o = b.reshape(&format!("{n}/to_nhwc"), o, &[0, height, width, dim as i64])?;
    b.linear_as(&format!("{n}.proj"), &format!("{p}.proj"), o, dim, dim, true)
}

/// `ClassBlock` (VOLO-style class attention): only the class token is updated.
fn class_block(b: &mut Builder<'_>, p: &str, x: Value, c: usize, heads: usize, hidden: usize) -> R<Value> {
    let hd = c / heads;
    let cls = b.slice(&format!("{p}/cls"), x, &[1], &[0], &[1], &[1])?;
    let h = b.layer_norm(&format!("{p}.norm1"), x, c, LN_EPS)?;
    let kv = b.linear(&format!("{p}.attn.kv"), h, c, 2 * c, false)?;
    let parts = b.split(&format!("{p}.attn/split_kv"), kv, 2, &[c, c])?;
    let head_shape = [0, 0, heads as i64, hd as i64];
    let k = b.reshape(&format!("{p}.attn/k_heads"), parts[0], &head_shape)?;
    let k = b.transpose(&format!("{p}.attn/k"), k, &[0, 2, 3, 1])?;
    let v = b.reshape(&format!("{p}.attn/v_heads"), parts[1], &head_shape)?;
    let v = b.transpose(&format!("{p}.attn/v"), v, &[0, 2, 1, 3])?;
    let h_cls = b.slice(&format!("{p}.attn/cls"), h, &[1], &[0], &[1], &[1])?;
    let q = b.linear(&format!("{p}.attn.q"), h_cls, c, c, false)?;
    let q = b.reshape(&format!("{p}.attn/q"), q, &[0, heads as i64, 1, hd as i64])?;
    let o = b.attention(&format!("{p}.attn"), q, k, v, (hd as f32).powf(-0.5), None)?;
    let o = b.transpose(&format!("{p}.attn/merge_heads"), o, &[0, 2, 1, 3])?;
    let o = b.reshape(&format!("{p}.attn/merge_heads_reshape"), o, &[0, 1, c as i64])?;
    let o = b.linear(&format!("{p}.attn.proj"), o, c, c, true)?;
    let cls = b.add(&format!("{p}/residual1"), cls, o)?;
    let h = b.layer_norm(&format!("{p}.norm2"), cls, c, LN_EPS)?;
    let m = b.mlp(&format!("{p}.mlp"), h, c, hidden)?;
    let cls = b.add(&format!("{p}/residual2"), cls, m)?;
    let rest = b.slice(&format!("{p}/tokens"), x, &[1], &[1], &[i64::MAX], &[1])?;
    b.concat(&format!("{p}/concat"), &[cls, rest], 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfold_indices_cover_the_padded_windows() {
        // 4×4 map, padded 6×6, windows at (0,0), (0,2), (2,0), (2,2).
        let (shape, idx) = unfold_indices(4, 4);
        assert_eq!(shape, vec![9, 4]);
        assert_eq!(&idx[..4], &[0, 2, 12, 14]); // tap (0,0)
        assert_eq!(&idx[32..], &[14, 16, 26, 28]); // tap (2,2)
    }

    #[test]
    fn fold_kernel_is_one_hot() {
        let Tensor::F32(k) = fold_kernel(2) else { panic!("f32") };
        assert_eq!(k.shape(), &[18, 1, 3, 3]);
        assert_eq!(k.iter().filter(|&&v| v == 1.0).count(), 18);
        assert_eq!(k[[13, 0, 1, 1]], 1.0); // channel 1, tap 4 = centre
    }
}
