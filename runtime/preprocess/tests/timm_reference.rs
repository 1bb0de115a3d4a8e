//! The preprocessing against timm's evaluation transform: each PNG in
//! `tests/data` and what `timm.data.create_transform` made of it
//! (`tests/data/make_reference.py`, run once with torch and timm).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

use std::path::PathBuf;
use vitc_preprocess::{Filter, Preprocess};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn check(name: &str, options: &Preprocess) {
    let ours = options.image_file(&data(&format!("{name}.png"))).unwrap();
    let reference = vitc_ir::npy::read_npy(&data(&format!("{name}.npy"))).unwrap();
    assert_eq!(reference.dims(), &[3, options.size, options.size], "{name}: reference shape");
    let reference = reference.to_f64_vec();
    assert_eq!(ours.len(), reference.len(), "{name}: length");
    let worst = ours.iter().zip(&reference).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-5, "{name}: max |ours - timm| = {worst}");
}

#[test]
fn landscape_bicubic_matches_timm() {
    check("landscape", &Preprocess::imagenet(32));
}

#[test]
fn portrait_bilinear_with_own_mean_and_std_matches_timm() {
    let options =
        Preprocess { size: 24, crop_pct: 0.9, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 0.75], filter: Filter::Bilinear };
    check("portrait", &options);
}

#[test]
fn upscaled_small_image_matches_timm() {
    check("upscaled", &Preprocess::imagenet(32));
}

#[test]
fn bad_images_and_options_are_named() {
    let err = Preprocess::imagenet(32).image_file(&data("make_reference.py")).unwrap_err().to_string();
    assert!(err.contains("make_reference.py"), "{err}");
    let err = Preprocess::imagenet(32).image_file(&data("missing.png")).unwrap_err().to_string();
    assert!(err.contains("missing.png"), "{err}");
    let mut options = Preprocess::imagenet(32);
    options.crop_pct = 1.5;
    let err = options.image_file(&data("landscape.png")).unwrap_err().to_string();
    assert!(err.contains("crop-pct must be in (0, 1], got 1.5"), "{err}");
    options.crop_pct = 0.875;
    options.std[1] = 0.0;
    assert!(options.rgb(&[0; 12], 2, 2).unwrap_err().to_string().contains("std must be finite and non-zero"));
}

#[test]
fn lossless_webp_matches_timm_like_the_png() {
    let ours = Preprocess::imagenet(32).image_file(&data("landscape.webp")).unwrap();
    let reference = vitc_ir::npy::read_npy(&data("landscape.npy")).unwrap().to_f64_vec();
    let worst = ours.iter().zip(&reference).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-5, "webp: max |ours - timm| = {worst}");
}

#[test]
fn jpeg_matches_timm_within_a_decoder_level() {
    // JPEG decoders may round the inverse DCT and chroma upsampling
    // differently from Pillow's libjpeg; after the resize and normalisation
    // a level of 255 is at most 1 / (255 · 0.224). Measured on this image:
    // at most 3 levels, 0.4 of a level on average.
    let ours = Preprocess::imagenet(32).image_file(&data("landscape.jpg")).unwrap();
    let reference = vitc_ir::npy::read_npy(&data("landscape_jpg.npy")).unwrap().to_f64_vec();
    let worst = ours.iter().zip(&reference).map(|(a, b)| (f64::from(*a) - b).abs()).fold(0.0, f64::max);
    let mean = ours.iter().zip(&reference).map(|(a, b)| (f64::from(*a) - b).abs()).sum::<f64>() / ours.len() as f64;
    eprintln!("jpeg: max |ours - timm| = {worst:.4}, mean {mean:.5}");
    let level = 1.0 / (255.0 * 0.224);
    assert!(worst <= 4.0 * level, "jpeg: max |ours - timm| = {worst}");
    assert!(mean <= 0.5 * level, "jpeg: mean |ours - timm| = {mean}");
}
