//! Choosing where the network runs: a wgpu device (WebGPU in the browser, Vulkan/Metal/DX natively)
//! or burn's pure-Rust CPU backend, at run time, behind one [`Device`].

use burn::tensor::kind::Basic;
use burn::tensor::{Device, Element, Tensor};
use std::fmt;

/// A device failed to run or hand back a computation: a lost or failing GPU, a validation
/// error, memory exhausted. The page answers this type (and only this) by offering the CPU.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviceError {
    /// The device could not finish the work or read its result back.
    #[error("the device failed: {0}")]
    Execution(String),
    /// The result came back in a form that does not fit (element type or length).
    #[error("the device returned unexpected data: {0}")]
    Data(String),
}

/// Reads a tensor back to the host as `E`s (converting the element type if needed): the one
/// readback every core computation uses, so device failures surface as [`DeviceError`].
pub async fn read_vec<E: Element, const D: usize, K: Basic>(
    t: Tensor<D, K>,
) -> Result<Vec<E>, DeviceError> {
    let data = t
        .into_data_async()
        .await
        .map_err(|e| DeviceError::Execution(e.to_string()))?;
    data.convert::<E>()
        .into_vec::<E>()
        .map_err(|e| DeviceError::Data(format!("{e:?}")))
}

/// Which kind of device is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// A GPU through wgpu (WebGPU in the browser).
    Wgpu,
    /// burn's `flex` CPU backend.
    Cpu,
}

impl BackendKind {
    /// The machine-readable name: `webgpu` or `cpu` (data attributes, JSON, e2e tests).
    pub fn slug(self) -> &'static str {
        match self {
            BackendKind::Wgpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }
}

/// The name people read: "WebGPU" in the browser, "wgpu" natively, "CPU".
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
