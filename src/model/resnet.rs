//! ResNet-18…152 in burn, for inference: BatchNorm is folded into the convs when the model is built.
//!
//! One code path for every device; the [`Device`] (WebGPU, native wgpu, or the CPU `flex` backend)
//! is chosen at run time by whoever builds the model.

use super::spec::{Block, ModelSpec, stage_stride};
use super::weights::{HostTensor, Precision, Weights, WeightsError};
use crate::compute::{DeviceError, read_vec};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::module::{adaptive_avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};

/// A convolution whose BatchNorm has been folded into its weight and bias.
#[derive(Debug, Clone)]
struct FoldedConv {
    weight: Tensor<4>,
    bias: Tensor<1>,
    options: ConvOptions<2>,
}

impl FoldedConv {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(
            x,
            self.weight.clone(),
            Some(self.bias.clone()),
            self.options.clone(),
        )
    }
}

/// One residual block: 2 (basic) or 3 (bottleneck) convs and an optional projection shortcut.
#[derive(Debug, Clone)]
struct ResBlock {
    convs: Vec<FoldedConv>,
    downsample: Option<FoldedConv>,
}

impl ResBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let shortcut = match &self.downsample {
            Some(d) => d.forward(x.clone()),
            None => x.clone(),
        };
        let last = self.convs.len() - 1;
        let mut h = x;
        for (i, conv) in self.convs.iter().enumerate() {
            h = conv.forward(h);
            if i < last {
                h = relu(h);
            }
        }
        relu(h + shortcut)
    }
}

/// A ResNet ready to run on one device.
#[derive(Debug, Clone)]
pub struct ResNet {
    spec: ModelSpec,
    stem: FoldedConv,
    stages: Vec<Vec<ResBlock>>,
    /// Classifier `[in, classes]` and bias, when the weights have one.
    head: Option<(Tensor<2>, Tensor<1>)>,
    /// How the file stored its kernels.
    stored: Precision,
    device: Device,
}

impl ResNet {
    /// Builds the network from validated weights, folding each BatchNorm into its conv.
    pub fn new(weights: &Weights, device: &Device) -> Result<Self, WeightsError> {
        weights.validate()?;
        weights.require_trunk()?;
        let spec = weights.spec.clone();
        let folder = Folder {
            weights,
            device,
            eps: spec.bn_eps,
        };
        let stem = folder.conv("conv1", "bn1", 2, 3);
        let arch = spec.arch;
        let mut stages = Vec::with_capacity(4);
        for (stage, &n) in arch.stage_blocks().iter().enumerate() {
            let mut blocks = Vec::with_capacity(n);
            for i in 0..n {
                let p = format!("layer{}.{i}", stage + 1);
                let stride = if i == 0 { stage_stride(stage) } else { 1 };
                // v1 (Keras) strides the first 1×1 conv; v1.5 (torchvision) strides the 3×3.
                let convs = if arch.bottleneck() {
                    let (s1, s2) = if spec.layout.stride_on_first_conv() {
                        (stride, 1)
                    } else {
                        (1, stride)
                    };
                    vec![
                        folder.conv(&format!("{p}.conv1"), &format!("{p}.bn1"), s1, 0),
                        folder.conv(&format!("{p}.conv2"), &format!("{p}.bn2"), s2, 1),
                        folder.conv(&format!("{p}.conv3"), &format!("{p}.bn3"), 1, 0),
                    ]
                } else {
                    vec![
                        folder.conv(&format!("{p}.conv1"), &format!("{p}.bn1"), stride, 1),
                        folder.conv(&format!("{p}.conv2"), &format!("{p}.bn2"), 1, 1),
                    ]
                };
                let ds = format!("{p}.downsample.0.weight");
                let downsample = weights.tensors.contains_key(&ds).then(|| {
                    folder.conv(
                        &format!("{p}.downsample.0"),
                        &format!("{p}.downsample.1"),
                        stride,
                        0,
                    )
                });
                blocks.push(ResBlock { convs, downsample });
            }
            stages.push(blocks);
        }
        let head = weights.tensors.get("fc.weight").map(|w| {
            let [classes, features] = [w.shape[0], w.shape[1]];
            // Stored as [classes, features] (torchvision); matmul wants [features, classes].
            let wt = Tensor::<2>::from_data(
                TensorData::new(w.data.clone(), [classes, features]),
                device,
            )
            .transpose();
            let b = &weights.tensors["fc.bias"];
            (wt, upload1(b, device))
        });
        Ok(ResNet {
            spec,
            stem,
            stages,
            head,
            stored: weights.stored,
            device: device.clone(),
        })
    }

    /// What the file was, in words for a status line: "int8, trunk only", "f16, with classifier".
    pub fn file_summary(&self) -> String {
        let stored = match self.stored {
            Precision::F16 => "f16",
            Precision::Int8 => "int8",
            Precision::F32 => "f32",
        };
        let parts = if self.head.is_some() {
            "with classifier"
        } else {
            "trunk only"
        };
        format!("{stored}, {parts}")
    }

    /// Resolves once every upload of the weights has reached the device (a one-value readback,
    /// queued after them), so load times are honest on asynchronous devices.
    pub async fn uploaded(&self) -> Result<(), DeviceError> {
        let last = self.stages[3]
            .last()
            .and_then(|b| b.convs.last())
            .expect("four non-empty stages");
        read_vec::<f32, 1, _>(last.bias.clone().slice(0..1))
            .await
            .map(drop)
    }

    /// What network this is.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn stem(&self, x: Tensor<4>) -> Tensor<4> {
        let x = relu(self.stem.forward(x));
        // After a ReLU, zero padding (Keras) and -inf padding (torchvision) give the same max.
        max_pool2d(
            x,
            MaxPoolOptions::new([3, 3])
                .with_stride([2, 2])
                .with_padding([1, 1]),
        )
    }

    /// Runs the network on a preprocessed `[N, 3, H, W]` batch and returns the outputs of
    /// `layer1` up to `last` (inclusive); deeper stages are not computed.
    pub fn forward_blocks(&self, x: Tensor<4>, last: Block) -> Vec<Tensor<4>> {
        let mut h = self.stem(x);
        let mut outs = Vec::with_capacity(last.index() + 1);
        for stage in &self.stages[..=last.index()] {
            for block in stage {
                h = block.forward(h);
            }
            outs.push(h.clone());
        }
        outs
    }

    /// The output of one block, `[N, C, H/stride, W/stride]`.
    pub fn forward_to(&self, x: Tensor<4>, block: Block) -> Tensor<4> {
        self.forward_blocks(x, block)
            .pop()
            .expect("at least one block")
    }

    /// Class probabilities `[N, classes]`, when the weights have a classifier.
    pub fn classify(&self, x: Tensor<4>) -> Option<Tensor<2>> {
        let (w, b) = self.head.as_ref()?;
        let f = self.forward_to(x, Block::Layer4);
        let [n, c, _, _] = f.dims();
        let pooled: Tensor<2> = adaptive_avg_pool2d(f, [1, 1]).reshape([n, c]);
        let logits = pooled.matmul(w.clone()) + b.clone().unsqueeze::<2>();
        Some(softmax(logits, 1))
    }
}

/// Folds `conv` + `bn` tensors from the weights into one conv on the device.
struct Folder<'a> {
    weights: &'a Weights,
    device: &'a Device,
    eps: f32,
}

impl Folder<'_> {
    fn conv(&self, conv: &str, bn: &str, stride: usize, padding: usize) -> FoldedConv {
        let t = &self.weights.tensors;
        let w = &t[&format!("{conv}.weight")];
        let out = w.shape[0];
        let per_out = w.data.len() / out;
        let gamma = &t[&format!("{bn}.weight")].data;
        let beta = &t[&format!("{bn}.bias")].data;
        let mean = &t[&format!("{bn}.running_mean")].data;
        let var = &t[&format!("{bn}.running_var")].data;
        let bias = t.get(&format!("{conv}.bias")).map(|b| b.data.as_slice());
        let mut wf = w.data.clone();
        let mut bf = vec![0.0f32; out];
        for o in 0..out {
            let scale = gamma[o] / (var[o] + self.eps).sqrt();
            for v in &mut wf[o * per_out..(o + 1) * per_out] {
                *v *= scale;
            }
            bf[o] = (bias.map_or(0.0, |b| b[o]) - mean[o]) * scale + beta[o];
        }
        let shape: [usize; 4] = [w.shape[0], w.shape[1], w.shape[2], w.shape[3]];
        FoldedConv {
            weight: Tensor::from_data(TensorData::new(wf, shape), self.device),
            bias: Tensor::from_data(TensorData::new(bf, [out]), self.device),
            options: ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1),
        }
    }
}

fn upload1(t: &HostTensor, device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(t.data.clone(), [t.data.len()]), device)
}
