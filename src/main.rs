//! Entry point: the web page on wasm32, the `featsim` command-line tool elsewhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    // A bench build (`--features bench`, bench.html) only exports the bench functions.
    #[cfg(not(feature = "bench"))]
    featsim::ui::mount();
}

/// The bench build's exports (bench.html calls them). They live in the binary: the linker keeps a
/// binary's own exports, while those of its library crate went unreferenced and were dropped.
#[cfg(all(target_arch = "wasm32", feature = "bench"))]
mod bench_exports {
    use featsim::ui::bench;
    use wasm_bindgen::prelude::*;

    /// See [`bench::bench_first_heatmap`].
    #[wasm_bindgen]
    pub async fn bench_first_heatmap(
        weights_url: String,
        left_url: String,
        right_url: String,
        size: u32,
    ) -> Result<JsValue, JsValue> {
        bench::bench_first_heatmap(weights_url, left_url, right_url, size).await
    }

    /// See [`bench::bench_featsim`].
    #[wasm_bindgen]
    pub async fn bench_featsim(
        backend: String,
        runs: u32,
        image_url: String,
        weights_url: String,
        conv: Option<String>,
    ) -> Result<JsValue, JsValue> {
        bench::bench_featsim(backend, runs, image_url, weights_url, conv).await
    }

    /// See [`bench::bench_input`].
    #[wasm_bindgen]
    pub async fn bench_input(
        image_url: String,
        size: u32,
    ) -> Result<js_sys::Float32Array, JsValue> {
        bench::bench_input(image_url, size).await
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    featsim::cli::main()
}
