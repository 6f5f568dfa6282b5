//! Choosing where the network runs: a wgpu device (WebGPU in the browser, Vulkan/Metal/DX natively)
//! or burn's pure-Rust CPU backend, at run time, behind one [`Device`].

use burn::tensor::Device;
use std::fmt;

/// Which kind of device is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// A GPU through wgpu (WebGPU in the browser).
    Wgpu,
    /// burn's `flex` CPU backend.
    Cpu,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Wgpu if cfg!(target_arch = "wasm32") => "WebGPU",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cpu => "CPU",
        })
    }
}

/// A device ready for tensors, with what to tell the user about it.
#[derive(Debug, Clone)]
pub struct Compute {
    /// The burn device every tensor of this session lives on.
    pub device: Device,
    /// GPU or CPU.
    pub kind: BackendKind,
    /// Adapter name and API, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)"; empty when the
    /// platform does not tell (browsers: ask `GPUAdapter.info` instead).
    pub adapter: String,
    /// The wgpu device behind `device` (none on the CPU): to learn of its loss.
    pub gpu: Option<wgpu::Device>,
}

impl Compute {
    /// The CPU backend; always available.
    pub fn cpu() -> Self {
        Compute {
            device: Device::flex(),
            kind: BackendKind::Cpu,
            adapter: "burn flex (CPU)".into(),
            gpu: None,
        }
    }

    /// Acquires the default wgpu adapter. Call once per process: burn keeps the runtime.
    pub async fn wgpu() -> Result<Self, String> {
        let (device, setup) = Device::wgpu_options()
            .init_with_setup_async()
            .await
            .map_err(|e| e.to_string())?;
        let info = setup.adapter.get_info();
        Ok(Compute {
            device,
            kind: BackendKind::Wgpu,
            gpu: Some(setup.device.clone()),
            adapter: if info.name.is_empty() {
                String::new()
            } else {
                format!("{} ({:?})", info.name, info.backend)
            },
        })
    }

    /// A one-line description for status bars and logs.
    pub fn describe(&self) -> String {
        format!("{} · {}", self.kind, self.adapter)
    }
}
