//! ResNet-18…152 in burn, for inference: BatchNorm is folded into the convs when the model is built.
//!
//! One code path for every device; the [`Device`] (WebGPU, native wgpu, or the CPU `flex` backend)
//! is chosen at run time by whoever builds the model.

use super::parts::{Part, Parts};
use super::spec::{Block, ModelSpec, stage_stride};
use super::weights::{HostTensor, Precision, Weights, WeightsError};
use crate::compute::{DeviceError, read_vec};
use crate::kernels::conv::{self, ConvKernel, Epilogue};
use burn::tensor::activation::softmax;
use burn::tensor::module::{adaptive_avg_pool2d, max_pool2d};
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Device, Tensor, TensorData};

/// A convolution whose BatchNorm has been folded into its weight and bias.
#[derive(Debug, Clone)]
struct FoldedConv {
    /// Laid out for the device's convolution ([`kernels::conv::prepare_weight`]).
    weight: Tensor<4>,
    bias: Tensor<1>,
    stride: usize,
    padding: usize,
    kernel: ConvKernel,
}

impl FoldedConv {
    fn forward(&self, x: Tensor<4>, epilogue: Epilogue) -> Tensor<4> {
        conv::conv2d(
            x,
            self.weight.clone(),
            self.bias.clone(),
            [self.stride, self.padding],
            self.kernel,
            epilogue,
        )
    }

    /// The same conv, its weight laid out for `kernel`.
    fn using(&self, kernel: ConvKernel) -> Self {
        FoldedConv {
            weight: conv::prepare_weight(self.weight.clone(), kernel),
            kernel,
            ..self.clone()
        }
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
        let mut shortcut = Some(match &self.downsample {
            Some(d) => d.forward(x.clone(), Epilogue::default()),
            None => x.clone(),
        });
        let last = self.convs.len() - 1;
        let mut h = x;
        for (i, conv) in self.convs.iter().enumerate() {
            // Every conv ends in a ReLU; the last adds the shortcut before it.
            let residual = if i == last { shortcut.take() } else { None };
            h = conv.forward(
                h,
                Epilogue {
                    residual,
                    relu: true,
                },
            );
        }
        h
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
    /// The file's (a streamed file's first part's) checksum, which later parts must name.
    checksum: Option<String>,
    device: Device,
}

impl ResNet {
    /// Builds the network from validated weights, folding each BatchNorm into its conv.
    pub fn new(weights: &Weights, device: &Device) -> Result<Self, WeightsError> {
        weights.validate()?;
        weights.require_trunk()?;
        Ok(Self::build(weights, device))
    }

    /// Builds what a streamed file's first part holds: the stem and the first stages (at least
    /// layer1); the rest arrive through [`ResNet::grow`].
    pub fn partial(weights: &Weights, device: &Device) -> Result<Self, WeightsError> {
        weights.validate()?;
        let first = Parts::of(&[Part::Stem, Part::Layer1]);
        if !weights.parts.includes(first) || stage_run(weights.parts).is_none() {
            return Err(WeightsError::MissingParts {
                found: weights.parts,
                needed: first,
                hint: " (a streamed model starts with them)",
            });
        }
        Ok(Self::build(weights, device))
    }

    /// This network with the next stages added from `part`, a later part of the same streamed
    /// file: it must name this one's checksum and hold the stages that come next, in order.
    pub fn grow(&self, part: &Weights) -> Result<Self, WeightsError> {
        part.validate()?;
        let named = part.trunk.clone().unwrap_or_default();
        if self.checksum.as_deref() != Some(named.as_str()) || part.spec != self.spec {
            return Err(WeightsError::WrongTrunk(named.chars().take(12).collect()));
        }
        let next = self.stages.len();
        let run = stage_run(part.parts).filter(|r| r.start == next && !r.is_empty());
        let Some(run) = run.filter(|_| !part.parts.contains(Part::Stem)) else {
            return Err(WeightsError::MissingParts {
                found: part.parts,
                needed: STAGES.get(next).map_or(Parts::HEAD, |p| Parts::of(&[*p])),
                hint: " (the parts must arrive in the order the network runs)",
            });
        };
        let folder = Folder {
            weights: part,
            device: &self.device,
            eps: self.spec.bn_eps,
            kernel: self.stem.kernel,
        };
        let mut grown = self.clone();
        grown.stages.extend(run.map(|stage| folder.stage(stage)));
        Ok(grown)
    }

    /// The stem and every stage `weights` has, in order (validated by the caller).
    fn build(weights: &Weights, device: &Device) -> Self {
        let spec = weights.spec.clone();
        let folder = Folder {
            weights,
            device,
            eps: spec.bn_eps,
            kernel: ConvKernel::for_device(device),
        };
        let stem = folder.conv("conv1", "bn1", 2, 3);
        let stages = STAGES
            .iter()
            .take_while(|p| weights.parts.contains(**p))
            .enumerate()
            .map(|(stage, _)| folder.stage(stage))
            .collect();
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
        ResNet {
            spec,
            stem,
            stages,
            head,
            stored: weights.stored,
            checksum: weights.checksum.clone(),
            device: device.clone(),
        }
    }

    /// The deepest block whose weights are here: `Layer4` but while a streamed file arrives.
    pub fn depth(&self) -> Block {
        Block::ALL[self.stages.len() - 1]
    }

    /// What the file was, in words for a status line: "int8, trunk only", "f16, with classifier".
    pub fn file_summary(&self) -> String {
        let stored = self.stored.name();
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
        let last = self
            .stages
            .last()
            .and_then(|s| s.last())
            .and_then(|b| b.convs.last())
            .expect("at least one non-empty stage");
        read_vec::<f32, 1, _>(last.bias.clone().slice(0..1))
            .await
            .map(drop)
    }

    /// What network this is.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// This network running its convolutions with `kernel` (on a GPU; the CPU has one).
    pub fn with_conv_kernel(&self, kernel: ConvKernel) -> Self {
        if kernel == self.stem.kernel {
            // Already laid out for it: no need to copy every weight again.
            return self.clone();
        }
        let blocks = self.stages.iter().map(|stage| {
            stage
                .iter()
                .map(|b| ResBlock {
                    convs: b.convs.iter().map(|c| c.using(kernel)).collect(),
                    downsample: b.downsample.as_ref().map(|d| d.using(kernel)),
                })
                .collect()
        });
        ResNet {
            stem: self.stem.using(kernel),
            stages: blocks.collect(),
            ..self.clone()
        }
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    fn stem(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.stem.forward(
            x,
            Epilogue {
                residual: None,
                relu: true,
            },
        );
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
    /// A `last` deeper than [`ResNet::depth`] stops at the depth.
    pub fn forward_blocks(&self, x: Tensor<4>, last: Block) -> Vec<Tensor<4>> {
        let last = last.min(self.depth());
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

    /// Continues from `h`, the output of block `after`, up to `last` (inclusive; at most the
    /// depth): the outputs of the blocks in between, as [`ResNet::forward_blocks`] gives them.
    /// What a streamed model that has grown runs, instead of the whole network again.
    pub fn forward_after(&self, mut h: Tensor<4>, after: Block, last: Block) -> Vec<Tensor<4>> {
        let last = last.min(self.depth());
        let mut outs = Vec::new();
        for stage in self
            .stages
            .iter()
            .take(last.index() + 1)
            .skip(after.index() + 1)
        {
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

    /// Class probabilities `[N, classes]`, when the weights have a classifier (and the trunk).
    pub fn classify(&self, x: Tensor<4>) -> Option<Tensor<2>> {
        let (w, b) = self
            .head
            .as_ref()
            .filter(|_| self.depth() == Block::Layer4)?;
        let f = self.forward_to(x, Block::Layer4);
        let [n, c, _, _] = f.dims();
        let pooled: Tensor<2> = adaptive_avg_pool2d(f, [1, 1]).reshape([n, c]);
        let logits = pooled.matmul(w.clone()) + b.clone().unsqueeze::<2>();
        Some(softmax(logits, 1))
    }
}

/// The four stages' parts, in run order.
const STAGES: [Part; 4] = [Part::Layer1, Part::Layer2, Part::Layer3, Part::Layer4];

/// The stages (0-based) `parts` holds when they are consecutive (possibly none); `None` when
/// there is a gap.
fn stage_run(parts: Parts) -> Option<std::ops::Range<usize>> {
    let held: Vec<usize> = (0..STAGES.len())
        .filter(|&i| parts.contains(STAGES[i]))
        .collect();
    let start = held.first().copied().unwrap_or(0);
    let run = start..start + held.len();
    run.clone().eq(held).then_some(run)
}

/// Folds `conv` + `bn` tensors from the weights into one conv on the device.
struct Folder<'a> {
    weights: &'a Weights,
    device: &'a Device,
    eps: f32,
    kernel: ConvKernel,
}

impl Folder<'_> {
    /// The blocks of stage `stage` (0-based).
    fn stage(&self, stage: usize) -> Vec<ResBlock> {
        let spec = &self.weights.spec;
        let arch = spec.arch;
        let n = arch.stage_blocks()[stage];
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
                    self.conv(&format!("{p}.conv1"), &format!("{p}.bn1"), s1, 0),
                    self.conv(&format!("{p}.conv2"), &format!("{p}.bn2"), s2, 1),
                    self.conv(&format!("{p}.conv3"), &format!("{p}.bn3"), 1, 0),
                ]
            } else {
                vec![
                    self.conv(&format!("{p}.conv1"), &format!("{p}.bn1"), stride, 1),
                    self.conv(&format!("{p}.conv2"), &format!("{p}.bn2"), 1, 1),
                ]
            };
            let ds = format!("{p}.downsample.0.weight");
            let downsample = self.weights.tensors.contains_key(&ds).then(|| {
                self.conv(
                    &format!("{p}.downsample.0"),
                    &format!("{p}.downsample.1"),
                    stride,
                    0,
                )
            });
            blocks.push(ResBlock { convs, downsample });
        }
        blocks
    }

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
            weight: conv::prepare_weight(
                Tensor::from_data(TensorData::new(wf, shape), self.device),
                self.kernel,
            ),
            bias: Tensor::from_data(TensorData::new(bf, [out]), self.device),
            stride,
            padding,
            kernel: self.kernel,
        }
    }
}

fn upload1(t: &HostTensor, device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(t.data.clone(), [t.data.len()]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::blocks::write_blocks;
    use crate::model::{Arch, ModelSpec};

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn a_streamed_network_grows_into_the_whole_one() {
        let dev = Device::flex();
        let spec = ModelSpec::torchvision(Arch::Resnet18, "r18", "test");
        let w = Weights::random(spec, 3);
        let whole = Weights::from_bpk(w.to_bpk(Precision::F16).unwrap()).unwrap();
        let full = ResNet::new(&whole, &dev).unwrap();
        // A whole file is a one-part stream.
        assert_eq!(
            ResNet::partial(&whole, &dev).unwrap().depth(),
            Block::Layer4
        );
        let (manifest, files) = write_blocks(&w, Precision::F16, "r18").unwrap();
        let parts: Vec<Weights> = files
            .into_iter()
            .enumerate()
            .map(|(i, (_, bytes))| manifest.open_part(i, bytes).unwrap())
            .collect();
        // A later part alone is no start, and parts must come in run order.
        assert!(ResNet::new(&parts[0], &dev).is_err());
        assert!(ResNet::partial(&parts[1], &dev).is_err());
        let mut net = ResNet::partial(&parts[0], &dev).unwrap();
        assert_eq!(net.depth(), Block::Layer1);
        let err = net.grow(&parts[2]).unwrap_err().to_string();
        assert!(err.contains("in the order the network runs"), "{err}");
        let x = Tensor::<4>::random(
            [1, 3, 64, 64],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            &dev,
        );
        for (i, part) in parts.iter().enumerate().skip(1) {
            // Asking for more than is here stops at the depth, without a panic.
            assert_eq!(net.forward_blocks(x.clone(), Block::Layer4).len(), i);
            net = net.grow(part).unwrap();
        }
        assert_eq!(net.depth(), Block::Layer4);
        assert!(net.grow(&parts[3]).is_err(), "a fifth stage");
        let (a, b) = (
            full.forward_blocks(x.clone(), Block::Layer4),
            net.forward_blocks(x.clone(), Block::Layer4),
        );
        for (a, b) in a.into_iter().zip(b) {
            assert_eq!(values(a), values(b));
        }
        // Continuing from layer2's output gives the rest of the whole network's outputs.
        let all = full.forward_blocks(x.clone(), Block::Layer4);
        let rest = net.forward_after(all[1].clone(), Block::Layer2, Block::Layer4);
        assert_eq!(rest.len(), 2);
        for (a, b) in all[2..].iter().zip(rest) {
            assert_eq!(values(a.clone()), values(b));
        }
        // Another conversion's part does not graft onto this one.
        let other = Weights::random(ModelSpec::torchvision(Arch::Resnet18, "r18", "test"), 4);
        let (om, ofiles) = write_blocks(&other, Precision::F16, "r18").unwrap();
        let foreign = om.open_part(1, ofiles[1].1.clone()).unwrap();
        let start = ResNet::partial(&parts[0], &dev).unwrap();
        let err = start.grow(&foreign).unwrap_err().to_string();
        assert!(err.contains("belongs to another model file"), "{err}");
    }
}
