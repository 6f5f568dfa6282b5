//! Choosing where the network runs: a wgpu device (WebGPU in the browser, Vulkan/Metal/DX natively)
//! or burn's pure-Rust CPU backend, at run time, behind one [`Device`].

use burn::tensor::kind::Basic;
use burn::tensor::wgpu::WgpuInitError;
use burn::tensor::{Device, Element, Tensor, TensorData};
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

/// An error that may have come from the device: the page offers the CPU exactly when
/// [`FromDevice::device`] is `Some`.
pub trait FromDevice {
    /// The device failure behind this error, if it is one (then another device may succeed).
    fn device(&self) -> Option<&DeviceError>;
}

impl FromDevice for DeviceError {
    fn device(&self) -> Option<&DeviceError> {
        Some(self)
    }
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
    host_vec(data)
}

/// Read-back data as `E`s. `try_into_vec_as` rather than `convert`, which panics: a conversion
/// burn cannot make (quantized data) or a malformed payload must stay an error.
fn host_vec<E: Element>(data: TensorData) -> Result<Vec<E>, DeviceError> {
    data.try_into_vec_as::<E>()
        .map_err(|e| DeviceError::Data(e.to_string()))
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
    ///
    /// Failing to start is not a [`DeviceError`]: there is no GPU session yet to fall back from.
    pub async fn wgpu() -> Result<Self, WgpuInitError> {
        let (device, setup) = Device::wgpu_options().init_with_setup_async().await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::quantization::QuantScheme;
    use burn::tensor::{BoolStore, DType, Int};

    #[test]
    fn read_vec_returns_the_values_converted_to_the_asked_type() {
        let dev = Device::flex();
        let f =
            Tensor::<2>::from_data(TensorData::new(vec![1.5f32, -2.0, 0.25, 4.0], [2, 2]), &dev);
        assert_eq!(
            pollster::block_on(read_vec::<f32, 2, _>(f)),
            Ok(vec![1.5, -2.0, 0.25, 4.0])
        );
        let i = Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, -7, 0], [3]), &dev);
        assert_eq!(
            pollster::block_on(read_vec::<i32, 1, _>(i.clone())),
            Ok(vec![3, -7, 0])
        );
        assert_eq!(
            pollster::block_on(read_vec::<f32, 1, _>(i)),
            Ok(vec![3.0, -7.0, 0.0])
        );
    }

    #[test]
    fn data_that_cannot_become_the_asked_type_is_a_data_error() {
        // A bool byte other than 0 or 1 is no valid bool: burn refuses it rather than guessing.
        let bad = TensorData::from_bytes_vec(vec![2u8], [1], DType::Bool(BoolStore::Native));
        let err = host_vec::<f32>(bad).unwrap_err();
        assert!(matches!(err, DeviceError::Data(_)), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("the device returned unexpected data: ")
        );
        // Quantized values have no element-wise conversion: an error, not convert()'s panic.
        let q = Tensor::<1>::from_data(
            TensorData::new(vec![0.5f32, -1.0, 2.0], [3]),
            &Device::flex(),
        )
        .quantize_dynamic(&QuantScheme::default());
        let err = pollster::block_on(read_vec::<f32, 1, _>(q)).unwrap_err();
        assert!(matches!(err, DeviceError::Data(_)), "{err:?}");
    }
}
