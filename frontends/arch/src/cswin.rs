//! CSWin Transformer (Dong et al. 2022), as the official code defines it
//! (microsoft/CSWin-Transformer `models/cswin.py`, class `CSWinTransformer`),
//! with its parameter names.
//!
//! - `stage1_conv_embed`: 7×7 stride-4 conv (padding 2) → 56² tokens, LayerNorm.
//! - Four stages of `CSWinBlock`s at 56², 28², 14², 7² tokens; `merge1..3`
//!   (3×3 stride-2 conv + LayerNorm, channels doubled) between them.
//! - A block: LayerNorm, `qkv` Linear, then cross-shaped window attention:
//!   the channels (and heads) split in two branches, branch 0 attends inside
//!   vertical stripes (`H × split`), branch 1 inside horizontal stripes
//!   (`split × W`); where a stripe covers the whole map (the last stage) one
//!   branch attends over all tokens. Each branch adds LePE, a depthwise 3×3
//!   conv `get_v` applied to V per stripe (zero padding at stripe borders),
//!   to `softmax(q·kᵀ·head_dim^-½)·v`. Then `proj`, residual, LayerNorm, MLP
//!   (GELU), residual. LayerNorm eps is PyTorch's 1e-5.
//! - Final `norm`, mean over tokens, `head`.

use crate::builder::{Builder, ConvSpec, R};
use crate::registry::Variant;
use vitc_ir::{OpKind, Value};

/// One CSWin configuration (the arguments of `CSWinTransformer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CswinConfig {
    pub embed_dim: usize,
    pub depth: [usize; 4],
    pub split_size: [usize; 4],
    pub num_heads: [usize; 4],
}

/// The CSWin family (official `CSWin_*_224`; paper figures from Table 1 of the CSWin paper).
pub const CONFIGS: &[Variant<CswinConfig>] = &[
    Variant {
        name: "cswin_tiny_224",
        description: "CSWin-T (official CSWin_64_12211_tiny_224): dim 64, depth 1/2/21/1, heads 2/4/8/16",
        paper: Some((23.0, 4.3)),
        config: CswinConfig { embed_dim: 64, depth: [1, 2, 21, 1], split_size: [1, 2, 7, 7], num_heads: [2, 4, 8, 16] },
    },
    Variant {
        name: "cswin_small_224",
        description: "CSWin-S (official CSWin_64_24322_small_224): dim 64, depth 2/4/32/2, heads 2/4/8/16",
        paper: Some((35.0, 6.9)),
        config: CswinConfig { embed_dim: 64, depth: [2, 4, 32, 2], split_size: [1, 2, 7, 7], num_heads: [2, 4, 8, 16] },
    },
    Variant {
        name: "cswin_base_224",
        description: "CSWin-B (official CSWin_96_24322_base_224): dim 96, depth 2/4/32/2, heads 4/8/16/32",
        paper: Some((78.0, 15.0)),
        config: CswinConfig {
            embed_dim: 96,
            depth: [2, 4, 32, 2],
            split_size: [1, 2, 7, 7],
            num_heads: [4, 8, 16, 32],
        },
    },
    Variant {
        name: "cswin_micro",
        description: "CSWin, reduced config of the shared reference model: dim 32, depth 1/1/2/1, heads 2/2/4/8",
        paper: None,
        config: CswinConfig { embed_dim: 32, depth: [1, 1, 2, 1], split_size: [1, 2, 7, 7], num_heads: [2, 2, 4, 8] },
    },
];

const IMAGE: usize = 224;
const CLASSES: usize = 1000;
const MLP_RATIO: usize = 4;
/// PyTorch's `nn.LayerNorm` default.
const LN_EPS: f32 = 1e-5;

/// Builds the logits of `cfg` from the image `x`.
pub fn build(b: &mut Builder<'_>, x: Value, cfg: &CswinConfig) -> R<Value> {
    let mut dim = cfg.embed_dim;
    let mut reso = IMAGE / 4;
    let x = b.conv("stage1_conv_embed.0", x, ConvSpec::new(3, dim, 7, 4, 2))?;
    let x = b.nchw_to_tokens("stage1_conv_embed.1", x, dim)?;
    let mut x = b.layer_norm("stage1_conv_embed.2", x, dim, LN_EPS)?;
    for s in 0..4 {
        if s > 0 {
            let p = format!("merge{s}");
            let img = b.tokens_to_nchw(&format!("{p}/to_image"), x, dim, reso, reso)?;
            let y = b.conv(&format!("{p}.conv"), img, ConvSpec::new(dim, 2 * dim, 3, 2, 1))?;
            dim *= 2;
            reso = (reso - 1) / 2 + 1;
            let y = b.nchw_to_tokens(&format!("{p}/to_tokens"), y, dim)?;
            x = b.layer_norm(&format!("{p}.norm"), y, dim, LN_EPS)?;
        }
        for i in 0..cfg.depth[s] {
            let p = format!("stage{}.{i}", s + 1);
            let last = s == 3 || reso == cfg.split_size[s];
            x = block(b, &p, x, dim, reso, cfg.num_heads[s], cfg.split_size[s], last)?;
        }
    }
    let x = b.layer_norm("norm", x, dim, LN_EPS)?;
    let pooled = b.reduce("head/mean", OpKind::ReduceMean, x, &[1], false)?;
    b.linear("head", pooled, dim, CLASSES, true)
}

/// Official `CSWinBlock`.
#[allow(clippy::too_many_arguments)]
fn block(
    b: &mut Builder<'_>,
    p: &str,
    x: Value,
    dim: usize,
    reso: usize,
    heads: usize,
    split: usize,
    last: bool,
) -> R<Value> {
    let h = b.layer_norm(&format!("{p}.norm1"), x, dim, LN_EPS)?;
    let qkv = b.linear(&format!("{p}.qkv"), h, dim, 3 * dim, true)?;
    let attended = if last {
        let parts = b.split(&format!("{p}/split_qkv"), qkv, 2, &[dim; 3])?;
        let stripe = Stripe { height: reso, width: reso, reso };
        lepe_attention(b, &format!("{p}.attns.0"), [parts[0], parts[1], parts[2]], dim, heads, stripe)?
    } else {
        // q, k and v each split in two halves: [q0, q1, k0, k1, v0, v1].
        let half = dim / 2;
        let parts = b.split(&format!("{p}/split_qkv"), qkv, 2, &[half; 6])?;
        let vertical = Stripe { height: reso, width: split, reso };
        let horizontal = Stripe { height: split, width: reso, reso };
        let x0 = lepe_attention(b, &format!("{p}.attns.0"), [parts[0], parts[2], parts[4]], half, heads / 2, vertical)?;
        let x1 =
            lepe_attention(b, &format!("{p}.attns.1"), [parts[1], parts[3], parts[5]], half, heads / 2, horizontal)?;
        b.concat(&format!("{p}/branches"), &[x0, x1], 2)?
    };
    let a = b.linear(&format!("{p}.proj"), attended, dim, dim, true)?;
    let x = b.add(&format!("{p}/residual1"), x, a)?;
    let h = b.layer_norm(&format!("{p}.norm2"), x, dim, LN_EPS)?;
    let m = b.mlp(&format!("{p}.mlp"), h, dim, MLP_RATIO * dim)?;
    b.add(&format!("{p}/residual2"), x, m)
}

/// The window of one branch: `height × width` stripes of a `reso × reso` map.
#[derive(Clone, Copy, Debug)]
struct Stripe {
    height: usize,
    width: usize,
    reso: usize,
}

impl Stripe {
    /// `[B, nH, Hsp, nW, Wsp, C]`, the token grid cut into stripes.
    fn grid(&self, c: usize) -> [i64; 6] {
        let (n_h, n_w) = (self.reso / self.height, self.reso / self.width);
        [0, n_h as i64, self.height as i64, n_w as i64, self.width as i64, c as i64]
    }

    fn tokens(&self) -> usize {
        self.height * self.width
    }
}

/// Official `LePEAttention` on one branch's `[B, L, C]` q, k, v.
fn lepe_attention(b: &mut Builder<'_>, p: &str, [q, k, v]: [Value; 3], c: usize, heads: usize, s: Stripe) -> R<Value> {
    let hd = c / heads;
    let n = s.tokens() as i64;
    let (heads_i, hd_i) = (heads as i64, hd as i64);
    // im2cswin: [B, L, C] → [B·nH·nW, heads, S, hd].
    let windows = |b: &mut Builder<'_>, t: Value, what: &str, perm: &[i64]| -> R<Value> {
        let g = b.reshape(&format!("{p}/{what}_grid"), t, &s.grid(c))?;
        let g = b.transpose(&format!("{p}/{what}_stripes"), g, &[0, 1, 3, 2, 4, 5])?;
        let g = b.reshape(&format!("{p}/{what}_heads"), g, &[-1, n, heads_i, hd_i])?;
        b.transpose(&format!("{p}/{what}"), g, perm)
    };
    let q = windows(b, q, "q", &[0, 2, 1, 3])?;
    let k = windows(b, k, "k", &[0, 2, 3, 1])?;
    // get_lepe: V per stripe as an image [B·nH·nW, C, Hsp, Wsp], depthwise conv.
    let g = b.reshape(&format!("{p}/v_grid"), v, &s.grid(c))?;
    let g = b.transpose(&format!("{p}/v_stripes"), g, &[0, 1, 3, 5, 2, 4])?;
    let img = b.reshape(&format!("{p}/v_image"), g, &[-1, c as i64, s.height as i64, s.width as i64])?;
    let lepe = b.conv(&format!("{p}.get_v"), img, ConvSpec::depthwise3(c, 1, true))?;
    let lepe = b.reshape(&format!("{p}/lepe_heads"), lepe, &[0, heads_i, hd_i, n])?;
    let lepe = b.transpose(&format!("{p}/lepe"), lepe, &[0, 1, 3, 2])?;
    let v = b.reshape(&format!("{p}/v_heads"), img, &[0, heads_i, hd_i, n])?;
    let v = b.transpose(&format!("{p}/v"), v, &[0, 1, 3, 2])?;
    let o = b.attention(p, q, k, v, (hd as f32).powf(-0.5), None)?;
    let o = b.add(&format!("{p}/add_lepe"), o, lepe)?;
    // windows2img: [B·nH·nW, heads, S, hd] → [B, L, C].
    let o = b.transpose(&format!("{p}/merge_heads"), o, &[0, 2, 1, 3])?;
    let [_, n_h, h_sp, n_w, w_sp, _] = s.grid(c);
    let o = b.reshape(&format!("{p}/out_grid"), o, &[-1, n_h, n_w, h_sp, w_sp, c as i64])?;
    let o = b.transpose(&format!("{p}/out_image"), o, &[0, 1, 3, 2, 4, 5])?;
    let l = (s.reso * s.reso) as i64;
    b.reshape(&format!("{p}/out_tokens"), o, &[-1, l, c as i64])
}
