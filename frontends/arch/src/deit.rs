//! DeiT (Touvron et al. 2021), as timm 1.0.31 `vision_transformer.py` /
//! `deit.py` define it, with timm's parameter names.
//!
//! - `patch_embed.proj`: 16×16 stride-16 conv → 14² tokens.
//! - `cls_token` (and `dist_token` for the distilled variants) prepended,
//!   `pos_embed` added.
//! - Pre-norm blocks: LayerNorm (eps 1e-6), `qkv` Linear with bias, per-head
//!   softmax attention scaled by `head_dim^-½`, `proj`; LayerNorm, `fc1`,
//!   exact (erf) GELU, `fc2`; both residual.
//! - Final `norm`, `head` on the class token; distilled: `head` on the class
//!   token and `head_dist` on the distillation token, averaged at inference.

use crate::builder::{Builder, ConvSpec, R};
use crate::registry::Variant;
use crate::seeded::Init;
use vitc_ir::Value;

/// One DeiT configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeitConfig {
    pub embed_dim: usize,
    pub depth: usize,
    pub num_heads: usize,
    /// With a distillation token and `head_dist`.
    pub distilled: bool,
}

const TI: DeitConfig = DeitConfig { embed_dim: 192, depth: 12, num_heads: 3, distilled: false };
const S: DeitConfig = DeitConfig { embed_dim: 384, depth: 12, num_heads: 6, distilled: false };
const B: DeitConfig = DeitConfig { embed_dim: 768, depth: 12, num_heads: 12, distilled: false };

/// The DeiT family (timm `deit_*_patch16_224`; paper figures from Table 1 of the DeiT paper).
pub const CONFIGS: &[Variant<DeitConfig>] = &[
    Variant {
        name: "deit_tiny_patch16_224",
        description: "DeiT-Ti (timm deit_tiny_patch16_224): dim 192, 12 blocks, 3 heads",
        paper: Some((5.7, 1.3)),
        config: TI,
    },
    Variant {
        name: "deit_small_patch16_224",
        description: "DeiT-S (timm deit_small_patch16_224): dim 384, 12 blocks, 6 heads",
        paper: Some((22.0, 4.6)),
        config: S,
    },
    Variant {
        name: "deit_base_patch16_224",
        description: "DeiT-B (timm deit_base_patch16_224): dim 768, 12 blocks, 12 heads",
        paper: Some((86.0, 17.6)),
        config: B,
    },
    Variant {
        name: "deit_tiny_distilled_patch16_224",
        description: "DeiT-Ti⚗ (timm deit_tiny_distilled_patch16_224): DeiT-Ti with a distillation token",
        paper: Some((6.0, 1.3)),
        config: DeitConfig { distilled: true, ..TI },
    },
    Variant {
        name: "deit_small_distilled_patch16_224",
        description: "DeiT-S⚗ (timm deit_small_distilled_patch16_224): DeiT-S with a distillation token",
        paper: Some((22.0, 4.6)),
        config: DeitConfig { distilled: true, ..S },
    },
    Variant {
        name: "deit_base_distilled_patch16_224",
        description: "DeiT-B⚗ (timm deit_base_distilled_patch16_224): DeiT-B with a distillation token",
        paper: Some((87.0, 17.6)),
        config: DeitConfig { distilled: true, ..B },
    },
];

const IMAGE: usize = 224;
const PATCH: usize = 16;
const CLASSES: usize = 1000;
const MLP_RATIO: usize = 4;
/// timm's ViT LayerNorm epsilon.
const LN_EPS: f32 = 1e-6;

/// Builds the logits of `cfg` from the image `x`.
pub fn build(b: &mut Builder<'_>, x: Value, cfg: &DeitConfig) -> R<Value> {
    let d = cfg.embed_dim;
    let tokens = (IMAGE / PATCH) * (IMAGE / PATCH);
    let prefix_tokens = if cfg.distilled { 2 } else { 1 };
    let x = b.conv("patch_embed.proj", x, ConvSpec::new(3, d, PATCH, PATCH, 0))?;
    let x = b.nchw_to_tokens("patch_embed/tokens", x, d)?;
    let cls = b.param("cls_token", &[1, 1, d], Init::Normal(0.02))?;
    let mut parts = vec![b.expand_to_batch("cls_token/expand", cls, x)?];
    if cfg.distilled {
        let dist = b.param("dist_token", &[1, 1, d], Init::Normal(0.02))?;
        parts.push(b.expand_to_batch("dist_token/expand", dist, x)?);
    }
    parts.push(x);
    let x = b.concat("tokens", &parts, 1)?;
    let pos = b.param("pos_embed", &[1, tokens + prefix_tokens, d], Init::Normal(0.02))?;
    let mut x = b.add("pos_embed/add", x, pos)?;
    for i in 0..cfg.depth {
        x = block(b, &format!("blocks.{i}"), x, d, cfg.num_heads)?;
    }
    let x = b.layer_norm("norm", x, d, LN_EPS)?;
    let cls = b.select("head/cls", x, 1, 0)?;
    let logits = b.linear("head", cls, d, CLASSES, true)?;
    if !cfg.distilled {
        return Ok(logits);
    }
    let dist = b.select("head_dist/dist", x, 1, 1)?;
    let logits_dist = b.linear("head_dist", dist, d, CLASSES, true)?;
    let sum = b.add("head/sum", logits, logits_dist)?;
    b.scale("head/average", sum, 0.5)
}

/// timm `Block`: pre-norm attention and MLP, both residual.
fn block(b: &mut Builder<'_>, p: &str, x: Value, d: usize, heads: usize) -> R<Value> {
    let h = b.layer_norm(&format!("{p}.norm1"), x, d, LN_EPS)?;
    let a = attention(b, &format!("{p}.attn"), h, d, heads)?;
    let x = b.add(&format!("{p}/residual1"), x, a)?;
    let h = b.layer_norm(&format!("{p}.norm2"), x, d, LN_EPS)?;
    let m = b.mlp(&format!("{p}.mlp"), h, d, MLP_RATIO * d)?;
    b.add(&format!("{p}/residual2"), x, m)
}

/// timm `Attention`: `qkv` Linear (bias), per-head softmax attention, `proj`.
fn attention(b: &mut Builder<'_>, p: &str, x: Value, d: usize, heads: usize) -> R<Value> {
    let hd = d / heads;
    let qkv = b.linear(&format!("{p}.qkv"), x, d, 3 * d, true)?;
    // The qkv features are laid out [3, heads, head_dim].
    let parts = b.split(&format!("{p}/split_qkv"), qkv, 2, &[d, d, d])?;
    let head_shape = [0, 0, heads as i64, hd as i64];
    let q = b.reshape(&format!("{p}/q_heads"), parts[0], &head_shape)?;
    let q = b.transpose(&format!("{p}/q"), q, &[0, 2, 1, 3])?;
    let k = b.reshape(&format!("{p}/k_heads"), parts[1], &head_shape)?;
    let k = b.transpose(&format!("{p}/k"), k, &[0, 2, 3, 1])?;
    let v = b.reshape(&format!("{p}/v_heads"), parts[2], &head_shape)?;
    let v = b.transpose(&format!("{p}/v"), v, &[0, 2, 1, 3])?;
    let o = b.attention(p, q, k, v, (hd as f32).powf(-0.5), None)?;
    let o = b.transpose(&format!("{p}/merge_heads"), o, &[0, 2, 1, 3])?;
    let o = b.reshape(&format!("{p}/merge_heads_reshape"), o, &[0, 0, d as i64])?;
    b.linear(&format!("{p}.proj"), o, d, d, true)
}
