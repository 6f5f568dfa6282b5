//! Entry point: the web page on wasm32, the `featsim` command-line tool elsewhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    featsim::app::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    featsim::cli::main()
}
