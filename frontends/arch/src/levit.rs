//! LeViT (Graham et al. 2021), as timm 1.0.31 `levit.py` defines it in
//! Linear mode (`LevitDistilled`, `use_conv=False`), with timm's parameter names.
//!
//! - Stem: four 3×3 stride-2 `ConvNorm`s (conv without bias + BatchNorm),
//!   Hardswish between them: 224² → 14² tokens of `embed_dim[0]` channels.
//! - Three stages. Stage blocks are residual `Attention` (a `LinearNorm` `qkv`
//!   = Linear without bias + BatchNorm over the flattened tokens, per-head
//!   split into q, k (key_dim) and v (attn_ratio·key_dim = 2·key_dim),
//!   logits `q·kᵀ·key_dim^-½ + B[:, idx]` with the learned `attention_biases`
//!   table gathered by `attention_bias_idxs`, softmax, Hardswish, `proj`
//!   LinearNorm) and residual `LevitMlp` (LinearNorm ×2, ratio 2, Hardswish).
//! - Stages 2 and 3 start with `LevitDownsample`: `AttentionDownsample`
//!   (queries from the stride-2 subsampled grid, `in_dim / key_dim` heads,
//!   value ratio 4, no residual) followed by a residual MLP.
//! - Head: mean over tokens, `head` and `head_dist` (BatchNorm + Linear),
//!   averaged at inference.

use crate::builder::{Builder, ConvSpec, R, index_array};
use crate::registry::Variant;
use crate::seeded::Init;
use vitc_ir::{Attr, Attrs, OpKind, Tensor, Value};

/// One LeViT configuration (timm `model_cfgs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevitConfig {
    pub embed_dim: [usize; 3],
    pub key_dim: usize,
    pub num_heads: [usize; 3],
    pub depth: [usize; 3],
}

/// The LeViT family (timm 1.0.31 `model_cfgs`; paper figures from Table 3 of the LeViT paper).
pub const CONFIGS: &[Variant<LevitConfig>] = &[
    Variant {
        name: "levit_128s",
        description: "LeViT-128S (timm levit_128s): dims 128/256/384, heads 4/6/8, depth 2/3/4",
        paper: Some((7.8, 0.305)),
        config: LevitConfig { embed_dim: [128, 256, 384], key_dim: 16, num_heads: [4, 6, 8], depth: [2, 3, 4] },
    },
    Variant {
        name: "levit_128",
        description: "LeViT-128 (timm levit_128): dims 128/256/384, heads 4/8/12, depth 4/4/4",
        paper: Some((9.2, 0.406)),
        config: LevitConfig { embed_dim: [128, 256, 384], key_dim: 16, num_heads: [4, 8, 12], depth: [4, 4, 4] },
    },
    Variant {
        name: "levit_192",
        description: "LeViT-192 (timm levit_192): dims 192/288/384, heads 3/5/6, depth 4/4/4",
        paper: Some((11.0, 0.658)),
        config: LevitConfig { embed_dim: [192, 288, 384], key_dim: 32, num_heads: [3, 5, 6], depth: [4, 4, 4] },
    },
    Variant {
        name: "levit_256",
        description: "LeViT-256 (timm levit_256): dims 256/384/512, heads 4/6/8, depth 4/4/4",
        paper: Some((18.9, 1.120)),
        config: LevitConfig { embed_dim: [256, 384, 512], key_dim: 32, num_heads: [4, 6, 8], depth: [4, 4, 4] },
    },
    Variant {
        name: "levit_384",
        description: "LeViT-384 (timm levit_384): dims 384/512/768, heads 6/9/12, depth 4/4/4",
        paper: Some((39.1, 2.353)),
        config: LevitConfig { embed_dim: [384, 512, 768], key_dim: 32, num_heads: [6, 9, 12], depth: [4, 4, 4] },
    },
];

/// Input resolution of every LeViT in the table.
const IMAGE: usize = 224;
/// Classes of the ImageNet heads.
const CLASSES: usize = 1000;

/// Builds the logits of `cfg` from the image `x`.
pub fn build(b: &mut Builder<'_>, x: Value, cfg: &LevitConfig) -> R<Value> {
    let d0 = cfg.embed_dim[0];
    let chans = [3, d0 / 8, d0 / 4, d0 / 2, d0];
    let mut x = x;
    for i in 0..4 {
        let p = format!("stem.conv{}", i + 1);
        x = b.conv(&format!("{p}.linear"), x, ConvSpec::new(chans[i], chans[i + 1], 3, 2, 1).without_bias())?;
        x = b.batch_norm(&format!("{p}.bn"), x, chans[i + 1])?;
        if i < 3 {
            x = b.hard_swish(&format!("stem.act{}", i + 1), x)?;
        }
    }
    let mut res = IMAGE / 16;
    x = b.nchw_to_tokens("stem/tokens", x, d0)?;
    let mut dim = d0;
    for s in 0..3 {
        if s > 0 {
            let p = format!("stages.{s}.downsample");
            let out = cfg.embed_dim[s];
            let heads = dim / cfg.key_dim;
            x = attention_downsample(b, &format!("{p}.attn_downsample"), x, [dim, out], cfg.key_dim, heads, res)?;
            res = (res - 1) / 2 + 1;
            dim = out;
            let m = mlp(b, &format!("{p}.mlp"), x, dim, 2 * dim)?;
            x = b.add(&format!("{p}/residual"), x, m)?;
        }
        for i in 0..cfg.depth[s] {
            let p = format!("stages.{s}.blocks.{i}");
            let a = attention(b, &format!("{p}.attn"), x, dim, cfg.key_dim, cfg.num_heads[s], res)?;
            x = b.add(&format!("{p}/residual1"), x, a)?;
            let m = mlp(b, &format!("{p}.mlp"), x, dim, 2 * dim)?;
            x = b.add(&format!("{p}/residual2"), x, m)?;
        }
    }
    let pooled = b.reduce("head/mean", OpKind::ReduceMean, x, &[1], false)?;
    let logits = norm_linear(b, "head", pooled, dim, CLASSES)?;
    let logits_dist = norm_linear(b, "head_dist", pooled, dim, CLASSES)?;
    let sum = b.add("head/sum", logits, logits_dist)?;
    b.scale("head/average", sum, 0.5)
}

/// timm `LinearNorm`: Linear without bias, then BatchNorm1d over the
/// flattened `[B·N, C]` tokens, reshaped back to `[B, N, C]`.
/// `branch_end` marks the last layer of a residual branch, whose BatchNorm
/// scale timm initialises to 0 (`bn_weight_init=0`); seeded weights use a
/// small scale there so the residual stream stays O(1).
fn linear_norm(b: &mut Builder<'_>, prefix: &str, x: Value, [inp, out]: [usize; 2], branch_end: bool) -> R<Value> {
    let n = b.ty(x).shape[1].known().unwrap_or(1) as i64;
    let y = b.linear(&format!("{prefix}.linear"), x, inp, out, false)?;
    let flat = b.op(&format!("{prefix}/flatten"), OpKind::Flatten, Attrs::new().with("axis", Attr::Int(2)), &[y])?;
    let gamma = if branch_end { Init::Uniform(0.05, 0.15) } else { Init::Uniform(0.5, 1.5) };
    let y = b.batch_norm_init(&format!("{prefix}.bn"), flat, out, gamma)?;
    b.reshape(&format!("{prefix}/unflatten"), y, &[-1, n, out as i64])
}

/// timm `NormLinear`: BatchNorm1d over `[B, C]`, then Linear with bias.
fn norm_linear(b: &mut Builder<'_>, prefix: &str, x: Value, inp: usize, out: usize) -> R<Value> {
    let y = b.batch_norm(&format!("{prefix}.bn"), x, inp)?;
    b.linear(&format!("{prefix}.linear"), y, inp, out, true)
}

/// timm `LevitMlp`: LinearNorm, Hardswish, LinearNorm.
fn mlp(b: &mut Builder<'_>, prefix: &str, x: Value, dim: usize, hidden: usize) -> R<Value> {
    let h = linear_norm(b, &format!("{prefix}.ln1"), x, [dim, hidden], false)?;
    let h = b.hard_swish(&format!("{prefix}.act"), h)?;
    linear_norm(b, &format!("{prefix}.ln2"), h, [hidden, dim], true)
}

/// The relative-position index of timm's attention biases: for a query at
/// grid position `(qy, qx)` (queries on the `stride`-subsampled grid) and a
/// key at `(ky, kx)` of the `res × res` grid, `|qy−ky|·res + |qx−kx|`.
pub fn bias_indices(res: usize, stride: usize) -> (Vec<usize>, Vec<i64>) {
    let q: Vec<(usize, usize)> =
        (0..res).step_by(stride).flat_map(|y| (0..res).step_by(stride).map(move |x| (y, x))).collect();
    let k: Vec<(usize, usize)> = (0..res).flat_map(|y| (0..res).map(move |x| (y, x))).collect();
    let idx =
        q.iter().flat_map(|&(qy, qx)| k.iter().map(move |&(ky, kx)| (qy.abs_diff(ky) * res + qx.abs_diff(kx)) as i64));
    (vec![q.len(), k.len()], idx.collect())
}

/// `attention_biases[:, attention_bias_idxs]`: `[heads, Nq, Nk]`.
fn attention_bias(b: &mut Builder<'_>, prefix: &str, heads: usize, res: usize, stride: usize) -> R<Value> {
    let table = b.param(&format!("{prefix}.attention_biases"), &[heads, res * res], Init::Normal(0.1))?;
    let (shape, values) = bias_indices(res, stride);
    let name = format!("{prefix}.attention_bias_idxs");
    let idx = b.weights.index(&name, index_array(&shape, values), res * res)?;
    let idx = b.constant(&name, Tensor::I64(idx));
    b.gather(&format!("{prefix}/bias_gather"), table, 1, idx)
}

/// Per-head output `[B, h, N, dv]` → Hardswish → `proj` LinearNorm to `out` channels.
/// `residual`: whether the result is added to a residual stream (not in the downsample).
fn project(b: &mut Builder<'_>, prefix: &str, o: Value, [heads, vd, out]: [usize; 3], residual: bool) -> R<Value> {
    let o = b.transpose(&format!("{prefix}/merge_heads"), o, &[0, 2, 1, 3])?;
    let o = b.reshape(&format!("{prefix}/merge_heads_reshape"), o, &[0, 0, (heads * vd) as i64])?;
    let o = b.hard_swish(&format!("{prefix}.proj.act"), o)?;
    linear_norm(b, &format!("{prefix}.proj.ln"), o, [heads * vd, out], residual)
}

/// timm `Attention` (Linear mode, attn_ratio 2) over `res × res` tokens.
fn attention(b: &mut Builder<'_>, prefix: &str, x: Value, dim: usize, kd: usize, heads: usize, res: usize) -> R<Value> {
    let vd = 2 * kd;
    let qkv = linear_norm(b, &format!("{prefix}.qkv"), x, [dim, heads * (2 * kd + vd)], false)?;
    let qkv = b.reshape(&format!("{prefix}/heads"), qkv, &[0, 0, heads as i64, -1])?;
    let parts = b.split(&format!("{prefix}/split_qkv"), qkv, 3, &[kd, kd, vd])?;
    let q = b.transpose(&format!("{prefix}/q"), parts[0], &[0, 2, 1, 3])?;
    let k = b.transpose(&format!("{prefix}/k"), parts[1], &[0, 2, 3, 1])?;
    let v = b.transpose(&format!("{prefix}/v"), parts[2], &[0, 2, 1, 3])?;
    let bias = attention_bias(b, prefix, heads, res, 1)?;
    let o = b.attention(prefix, q, k, v, (kd as f32).powf(-0.5), Some(bias))?;
    project(b, prefix, o, [heads, vd, dim], true)
}

/// timm `AttentionDownsample` (Linear mode, attn_ratio 4, stride 2): keys
/// and values from all `res × res` tokens, queries from the subsampled grid.
fn attention_downsample(
    b: &mut Builder<'_>,
    prefix: &str,
    x: Value,
    [in_dim, out_dim]: [usize; 2],
    kd: usize,
    heads: usize,
    res: usize,
) -> R<Value> {
    let vd = 4 * kd;
    let kv = linear_norm(b, &format!("{prefix}.kv"), x, [in_dim, heads * (kd + vd)], false)?;
    let kv = b.reshape(&format!("{prefix}/heads"), kv, &[0, 0, heads as i64, -1])?;
    let parts = b.split(&format!("{prefix}/split_kv"), kv, 3, &[kd, vd])?;
    let k = b.transpose(&format!("{prefix}/k"), parts[0], &[0, 2, 3, 1])?;
    let v = b.transpose(&format!("{prefix}/v"), parts[1], &[0, 2, 1, 3])?;
    let r = res as i64;
    let grid = b.reshape(&format!("{prefix}.q.down/grid"), x, &[0, r, r, in_dim as i64])?;
    let sub = b.slice(&format!("{prefix}.q.down/subsample"), grid, &[1, 2], &[0, 0], &[i64::MAX, i64::MAX], &[2, 2])?;
    let sub = b.reshape(&format!("{prefix}.q.down/tokens"), sub, &[0, -1, in_dim as i64])?;
    let q = linear_norm(b, &format!("{prefix}.q.ln"), sub, [in_dim, heads * kd], false)?;
    let q = b.reshape(&format!("{prefix}/q_heads"), q, &[0, 0, heads as i64, kd as i64])?;
    let q = b.transpose(&format!("{prefix}/q"), q, &[0, 2, 1, 3])?;
    let bias = attention_bias(b, prefix, heads, res, 2)?;
    let o = b.attention(prefix, q, k, v, (kd as f32).powf(-0.5), Some(bias))?;
    project(b, prefix, o, [heads, vd, out_dim], false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_indices_match_timm() {
        // 2×2 grid, stride 1: |dy|·2 + |dx|.
        let (shape, idx) = bias_indices(2, 1);
        assert_eq!(shape, vec![4, 4]);
        assert_eq!(idx, vec![0, 1, 2, 3, 1, 0, 3, 2, 2, 3, 0, 1, 3, 2, 1, 0]);
        // 3×3 grid, stride 2: queries at (0,0), (0,2), (2,0), (2,2).
        let (shape, idx) = bias_indices(3, 2);
        assert_eq!(shape, vec![4, 9]);
        assert_eq!(&idx[9..18], &[2, 1, 0, 5, 4, 3, 8, 7, 6]);
    }
}
