//! The in-browser bench behind `bench.html` (wasm32, `--features bench`; built only by
//! `make bench`): the same steps as `featsim bench` (`src/cli/bench.rs`), callable from
//! JavaScript so one page load can time FeatSim next to TF.js on the same image. A bench build
//! mounts no page (`main`).

use super::browser::clock::{now_ms, yield_to_browser};
use super::browser::device::acquire_device;
use crate::colormap::{Colormap, Range};
use crate::compute::{BackendKind, Compute};
use crate::heatmap::{self, Style};
use crate::kernels::conv::ConvKernel;
use crate::model::{Block, Preprocess, ResNet, Weights, preprocess};
use crate::oneshot::ImageFeatures;
use crate::stats::median;
use crate::{features, image_io, resample};
use image::RgbImage;
use js_sys::{Float32Array, Uint8Array};
use serde_json::{Value, json};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// burn keeps one wgpu runtime per page: the WebGPU device is acquired once and reused.
    static GPU: RefCell<Option<Compute>> = const { RefCell::new(None) };
}

/// What the page does before its first heatmap, timed from navigation start: pick the device
/// as the page does (WebGPU, else CPU), load the weights, compute the features of two images
/// (all blocks up to layer4 at `size`²) and one heatmap of the centre cell.
///
/// Returns `{ backend, adapter, fallback, size, ms_from_navigation, steps_ms: {…} }`.
pub async fn bench_first_heatmap(
    weights_url: String,
    left_url: String,
    right_url: String,
    size: u32,
) -> Result<JsValue, JsValue> {
    let t0 = now_ms();
    // A bench build does not `mount`, which installs this: a panic should say why in the console.
    console_error_panic_hook::set_once();
    let (compute, fallback) = acquire_device().await;
    if compute.kind == BackendKind::Wgpu {
        GPU.with(|g| *g.borrow_mut() = Some(compute.clone()));
    }
    let t_device = now_ms();
    let model = load_model(&compute, &weights_url).await?;
    let t_weights = now_ms();
    let left = fetch_image(&left_url).await?;
    let right = fetch_image(&right_url).await?;
    let a = ImageFeatures::compute(&model, &left, size, Block::Layer4);
    let b = ImageFeatures::compute(&model, &right, size, Block::Layer4);
    let t_features = now_ms();
    let grid = Block::Layer4.grid(size as usize);
    // The heatmap reads its values back, so the features are finished when it returns.
    heatmap::for_cell(
        a.need(Block::Layer4).map_err(|e| e.to_string())?,
        (grid / 2, grid / 2),
        b.need(Block::Layer4).map_err(|e| e.to_string())?,
        style(size),
    )
    .await
    .map_err(err)?;
    let t_end = now_ms();
    to_js(&json!({
        "backend": compute.kind.to_string(),
        "adapter": compute.adapter,
        "fallback": fallback,
        "size": size,
        "ms_from_navigation": t_end,
        "steps_ms": {
            "before_wasm_call": t0,
            "device": t_device - t0,
            "weights": t_weights - t_device,
            "features_two_images": t_features - t_weights,
            "heatmap": t_end - t_features,
        }
    }))
}

/// Times the forward pass to layer4 at 512² on `backend` (`"webgpu"` or `"cpu"`) with the
/// convolution kernel `conv` (`"tiled"`, ours, or `"burn"`; none: the page's): one warm-up
/// run, then `runs` timed runs, each ended by reading back a one-value reduction of the output
/// (a browser cannot block on the device, so a readback is the sync). `image_url` is the input.
///
/// Returns `{ backend, adapter, size, runs, ms: [...], median_ms, warmup_ms, load_ms,
/// output_shape, output_mean }`; an error when WebGPU was asked for but is not available.
pub async fn bench_featsim(
    backend: String,
    runs: u32,
    image_url: String,
    weights_url: String,
    conv: Option<String>,
) -> Result<JsValue, JsValue> {
    const SIZE: u32 = 512;
    let compute = match [BackendKind::Wgpu, BackendKind::Cpu]
        .into_iter()
        .find(|k| k.slug() == backend)
    {
        Some(BackendKind::Wgpu) => gpu().await?,
        Some(BackendKind::Cpu) => Compute::cpu(),
        None => return Err(err(format!("unknown backend {backend:?} (webgpu, cpu)"))),
    };
    let kernel = match conv {
        Some(c) => c.parse().map_err(err)?,
        None => ConvKernel::for_device(&compute.device),
    };
    let t0 = now_ms();
    let model = load_model(&compute, &weights_url)
        .await?
        .with_conv_kernel(kernel);
    let load_ms = now_ms() - t0;
    let img = fetch_image(&image_url).await?;
    let input = features::input(&model, &img, SIZE);
    let mut ms = Vec::new();
    let (mut warmup_ms, mut shape, mut mean) = (0.0, Vec::new(), 0.0);
    for i in 0..=runs {
        // Let the page repaint and the runner poll between runs.
        yield_to_browser().await;
        let t = now_ms();
        let out = model.forward_to(input.clone(), Block::Layer4);
        let dims = out.dims();
        let m = crate::compute::read_vec::<f32, 1, _>(out.mean())
            .await
            .map_err(|e| err(e.to_string()))?;
        let dt = now_ms() - t;
        if i == 0 {
            (warmup_ms, shape, mean) = (dt, dims.to_vec(), m[0]);
        } else {
            ms.push(dt);
        }
    }
    to_js(&json!({
        "backend": compute.kind.to_string(),
        "adapter": compute.adapter,
        "conv": kernel.name(),
        "size": SIZE,
        "runs": runs,
        "ms": ms,
        "median_ms": median(&ms),
        "warmup_ms": warmup_ms,
        "load_ms": load_ms,
        "output_shape": shape,
        "output_mean": mean,
    }))
}

/// The network input for `image_url` at `size`², preprocessed as Keras ResNet50 expects (BGR
/// minus the ImageNet means: the embedded weights' own preprocessing), as `[1, size, size, 3]`
/// channels-last values — so TF.js is fed exactly the numbers FeatSim is.
pub async fn bench_input(image_url: String, size: u32) -> Result<Float32Array, JsValue> {
    let img = fetch_image(&image_url).await?;
    let resized = resample::resize_square(&img, size);
    let chw = preprocess::input_data(&resized, &Preprocess::caffe())
        .try_to_vec::<f32>()
        .map_err(|e| err(format!("{e:?}")))?;
    let plane = (size * size) as usize;
    let hwc: Vec<f32> = (0..plane * 3)
        .map(|i| chw[(i % 3) * plane + i / 3])
        .collect();
    Ok(Float32Array::from(hwc.as_slice()))
}

/// The cached WebGPU device, or a new one; an error when the browser offers none.
async fn gpu() -> Result<Compute, JsValue> {
    if let Some(c) = GPU.with(|g| g.borrow().clone()) {
        return Ok(c);
    }
    match acquire_device().await {
        (c, _) if c.kind == BackendKind::Wgpu => {
            GPU.with(|g| *g.borrow_mut() = Some(c.clone()));
            Ok(c)
        }
        (_, reason) => Err(err(format!(
            "WebGPU unavailable: {}",
            reason.unwrap_or_default()
        ))),
    }
}

/// Downloads, parses and uploads the weights; resolves once they are on the device.
async fn load_model(compute: &Compute, url: &str) -> Result<ResNet, JsValue> {
    let bytes = fetch_bytes(url).await?;
    let weights = Weights::from_bpk(bytes).map_err(|e| err(format!("{url}: {e}")))?;
    let model = ResNet::new(&weights, &compute.device).map_err(|e| err(format!("{url}: {e}")))?;
    drop(weights);
    model.uploaded().await.map_err(err)?;
    Ok(model)
}

async fn fetch_image(url: &str) -> Result<RgbImage, JsValue> {
    image_io::decode(&fetch_bytes(url).await?).map_err(|e| err(format!("{url}: {e}")))
}

/// The whole body of `url` (no progress: this page has no progress bar).
async fn fetch_bytes(url: &str) -> Result<Vec<u8>, JsValue> {
    let window = web_sys::window().ok_or_else(|| err("no window"))?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await?
        .dyn_into()?;
    if !resp.ok() {
        return Err(err(format!("{url}: HTTP {}", resp.status())));
    }
    let buf = JsFuture::from(resp.array_buffer()?).await?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// The colouring `featsim bench` times.
fn style(size: u32) -> Style {
    Style {
        cmap: Colormap::Viridis,
        range: Range::Stretch,
        width: size,
        height: size,
    }
}

fn to_js(v: &Value) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&v.to_string())
}

fn err(msg: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&msg.to_string())
}
