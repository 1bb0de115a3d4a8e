//! `vitc run --image`: images become the input batch as timm's evaluation
//! transform makes it (checked against timm's own output for the test PNGs
//! in `runtime/preprocess/tests/data`), and the top-5 classes are printed
//! with their ImageNet names.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is a test failure

mod common;

use common::{assert_fails, read_npy, run_ok, vitc, write_npy};
use std::path::PathBuf;
use vitc_testkit::repo_root;

fn image(name: &str) -> PathBuf {
    repo_root().join("runtime/preprocess/tests/data").join(name)
}

fn example() -> PathBuf {
    repo_root().join("examples/tiny_vit/tiny_vit.onnx")
}

#[test]
fn image_input_equals_timms_preprocessing() {
    // The example model takes 1×3×32×32: the landscape PNG through --image,
    // and timm's tensor of the same PNG through --input, give the same logits.
    let dir = tempfile::tempdir().unwrap();
    let (dims, timm) = read_npy(&image("landscape.npy"));
    assert_eq!(dims, [3, 32, 32]);
    let timm_input = dir.path().join("timm.npy");
    write_npy(&timm_input, &[1, 3, 32, 32], timm);
    let (from_image, from_timm) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    run_ok(vitc().arg("run").arg(example()).arg("--image").arg(image("landscape.png")).arg("-o").arg(&from_image));
    run_ok(vitc().arg("run").arg(example()).arg("--input").arg(&timm_input).arg("-o").arg(&from_timm));
    let (a, b) = (read_npy(&from_image), read_npy(&from_timm));
    assert_eq!(a.0, [1, 10]);
    let worst = a.1.iter().zip(&b.1).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    let scale = b.1.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-5 * scale, "logits differ by {worst} (max |ref| {scale})");
}

#[test]
fn compiled_library_prints_five_imagenet_names_per_image() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("levit.so");
    run_ok(vitc().args(["compile", "--arch", "levit_128s", "-o"]).arg(&lib));
    let out = run_ok(vitc().arg("run").arg(&lib).arg("--image").arg(image("landscape.png")).arg(image("portrait.png")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 12, "two images, a header and five classes each: {stdout}");
    assert!(lines[0].ends_with("landscape.png: top-5") && lines[6].ends_with("portrait.png: top-5"), "{stdout}");
    let names = vitc_preprocess::IMAGENET_CLASSES.lines().collect::<Vec<_>>();
    for line in lines[1..6].iter().chain(&lines[7..12]) {
        // "  class  logit  name", the name that of the class index.
        let fields: Vec<&str> = line.split_whitespace().collect();
        let class: usize = fields[0].parse().unwrap_or_else(|_| panic!("no class index in '{line}'"));
        assert!(line.ends_with(names[class]), "'{line}' does not name class {class} ({})", names[class]);
    }
}

#[test]
fn bad_images_and_flags_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, b"plain text").unwrap();
    let run = || {
        let mut c = vitc();
        c.arg("run").arg(example());
        c
    };
    assert_fails(run().arg("--image").arg(&not_image), &["notes.png"]);
    assert_fails(run().arg("--image").arg(dir.path().join("gone.jpg")), &["gone.jpg"]);
    assert_fails(run().arg("--image").arg(image("landscape.png")).args(["--size", "64"]), &["--size 64 does not fit"]);
    assert_fails(run().arg("--image").arg(image("landscape.png")).args(["--crop-pct", "0"]), &["crop-pct must be in"]);
    assert_fails(run().arg("--image").arg(image("landscape.png")).args(["--std", "1", "0", "1"]), &["std must be"]);
    let out = vitc().arg("run").arg(example()).args(["--size", "32"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--size without --image is a usage error");
    let out = vitc()
        .arg("run")
        .arg(example())
        .arg("--image")
        .arg(image("landscape.png"))
        .arg("--input")
        .arg(image("landscape.npy"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--image with --input is a usage error");
}
