//! Entry point: the web page on wasm32, the `featsim` command-line tool elsewhere.

#[cfg(target_arch = "wasm32")]
fn main() {
    // A bench build (`--features bench`, bench.html) only exports the bench functions.
    #[cfg(not(feature = "bench"))]
    featsim::ui::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    featsim::cli::main()
}
