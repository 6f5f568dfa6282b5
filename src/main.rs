//! Entry point: the web page on wasm32, the `featsim` command-line tool elsewhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    // bench.html loads this module only for its exported bench functions.
    if !featsim::app::bench::is_bench_page() {
        featsim::app::mount();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    featsim::cli::main()
}
