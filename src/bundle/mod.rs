//! Baked bundles: the features of a few images computed once, by `featsim bake` or the page's
//! "Download bundle", and stored beside a page so that readers see heatmaps without downloading
//! the model. A bundle is a folder: `bundle.json` ([`manifest`]), a display copy of each image
//! and one feature file per image and block ([`codec`]). [`Baker`] writes one;
//! [`load_image_features`] turns the files of one image back into the unit maps the heatmap and
//! segmentation code reads.

pub mod codec;
pub mod manifest;
pub mod zip;

pub use codec::{CodecError, Encoding};
pub use manifest::{
    BundleError, BundleImage, BundleManifest, BundleModel, FileEntry, MANIFEST_FILE,
};

use crate::compute::{DeviceError, read_vec};
use crate::model::Block;
use crate::model::blocks::PartFile;
use crate::oneshot::ImageFeatures;
use crate::similarity::UnitMap;
use burn::tensor::{Device, Tensor, TensorData};

/// One block's unit map on the host: `h·w` cells of `c` values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct HostMap {
    /// Grid rows.
    pub h: usize,
    /// Grid columns.
    pub w: usize,
    /// Channels.
    pub c: usize,
    /// The unit cells.
    pub cells: Vec<f32>,
}

impl HostMap {
    /// Reads a unit map back from its device.
    pub async fn read(map: &UnitMap) -> Result<Self, DeviceError> {
        Ok(HostMap {
            h: map.h,
            w: map.w,
            c: map.c,
            cells: read_vec(map.cells.clone()).await?,
        })
    }

    /// Uploads it as a unit map on `device`.
    pub fn upload(&self, device: &Device) -> UnitMap {
        let cells = Tensor::<2>::from_data(
            TensorData::new(self.cells.clone(), [self.h * self.w, self.c]),
            device,
        );
        UnitMap {
            h: self.h,
            w: self.w,
            c: self.c,
            cells,
        }
    }
}

/// The baked maps of one image, decoded from its verified feature files (one per block of
/// `manifest`, in order, as `(bytes)`): checked against their entries, then decoded.
pub fn decode_image_features(
    manifest: &BundleManifest,
    image: &BundleImage,
    files: &[Vec<u8>],
) -> Result<Vec<(Block, HostMap)>, BundleError> {
    let blocks = manifest.parsed_blocks()?;
    let encoding = manifest.parsed_encoding()?;
    if files.len() != blocks.len() || image.features.len() != blocks.len() {
        return Err(BundleError::Manifest(format!(
            "{}: one feature file per block",
            image.name
        )));
    }
    let mut out = Vec::with_capacity(blocks.len());
    for (((block, entry), bytes), c) in blocks
        .iter()
        .zip(&image.features)
        .zip(files)
        .zip(&manifest.channels)
    {
        entry.verify(bytes)?;
        let g = block.grid(manifest.size as usize);
        let cells =
            codec::decode(bytes, g * g, *c, encoding).map_err(|reason| BundleError::Features {
                file: entry.file.clone(),
                reason,
            })?;
        out.push((
            *block,
            HostMap {
                h: g,
                w: g,
                c: *c,
                cells,
            },
        ));
    }
    Ok(out)
}

/// The decoded maps of one image as features on `device`.
pub fn load_image_features(size: u32, maps: &[(Block, HostMap)], device: &Device) -> ImageFeatures {
    ImageFeatures::from_maps(size, maps.iter().map(|(b, m)| (*b, m.upload(device))))
}

/// A bundle being made: images added one by one, then [`Baker::finish`].
#[derive(Debug)]
pub struct Baker {
    manifest: BundleManifest,
    blocks: Vec<Block>,
    encoding: Encoding,
    files: Vec<PartFile>,
}

impl Baker {
    /// An empty bundle of `blocks` (shallow to deep) at `size`, for the network `model`.
    pub fn new(model: BundleModel, size: u32, blocks: &[Block], encoding: Encoding) -> Self {
        let mut blocks = blocks.to_vec();
        blocks.sort();
        blocks.dedup();
        Baker {
            manifest: BundleManifest {
                format: manifest::FORMAT.into(),
                model,
                size,
                blocks: blocks.iter().map(|b| b.name().to_owned()).collect(),
                channels: Vec::new(),
                encoding: encoding.name().into(),
                images: Vec::new(),
            },
            blocks,
            encoding,
            files: Vec::new(),
        }
    }

    /// The blocks it bakes.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Adds an image: `name` as pages show and links name it, its display copy (`extension`,
    /// `bytes`), the size of the image the features were computed from, its unit maps, one per
    /// baked block in order, and its object mask's PNG if it has one.
    pub fn add(
        &mut self,
        name: &str,
        (extension, display): (&str, Vec<u8>),
        (width, height): (u32, u32),
        maps: &[HostMap],
        mask: Option<Vec<u8>>,
    ) -> Result<(), BundleError> {
        if maps.len() != self.blocks.len() {
            return Err(BundleError::Manifest(format!(
                "{name}: {} maps for {} blocks",
                maps.len(),
                self.blocks.len()
            )));
        }
        let channels: Vec<usize> = maps.iter().map(|m| m.c).collect();
        if self.manifest.images.is_empty() {
            self.manifest.channels = channels;
        } else if channels != self.manifest.channels {
            return Err(BundleError::Manifest(format!(
                "{name}: its maps have other channels than the first image's"
            )));
        }
        let stem = self.unique_stem(name);
        let display_name = format!("{stem}.{extension}");
        let mut features = Vec::with_capacity(maps.len());
        for (block, map) in self.blocks.clone().iter().zip(maps) {
            let g = block.grid(self.manifest.size as usize);
            if (map.h, map.w) != (g, g) || map.cells.len() != g * g * map.c {
                return Err(BundleError::Manifest(format!(
                    "{name}: its {block} map is {}×{}, not {g}×{g} as at {}²",
                    map.h, map.w, self.manifest.size
                )));
            }
            let bytes = codec::encode(&map.cells, map.c, self.encoding).map_err(|reason| {
                BundleError::Features {
                    file: name.to_owned(),
                    reason,
                }
            })?;
            let file = format!("{stem}.{block}.{}z", self.encoding.name());
            features.push(FileEntry::of(file.clone(), &bytes));
            self.files.push((file, bytes));
        }
        let mask = mask.map(|bytes| {
            let file = format!("{stem}.mask.png");
            let entry = FileEntry::of(file.clone(), &bytes);
            self.files.push((file, bytes));
            entry
        });
        self.manifest.images.push(BundleImage {
            name: name.to_owned(),
            image: FileEntry::of(display_name.clone(), &display),
            width,
            height,
            features,
            mask,
        });
        self.files.push((display_name, display));
        Ok(())
    }

    /// The manifest (checked as a reader will check it) and every file, manifest last.
    pub fn finish(self) -> Result<(BundleManifest, Vec<PartFile>), BundleError> {
        self.manifest.check()?;
        let mut files = self.files;
        let json = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|e| BundleError::Manifest(e.to_string()))?;
        files.push((MANIFEST_FILE.to_owned(), json));
        Ok((self.manifest, files))
    }

    /// A file-name stem for `name` (its letters, digits, `-` and `_`, without its extension),
    /// not yet used in this bundle.
    fn unique_stem(&self, name: &str) -> String {
        let base = name.rsplit_once('.').map_or(name, |(s, _)| s);
        let mut stem: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        if stem.is_empty() || stem.starts_with('_') && stem.chars().all(|c| c == '_') {
            stem = "image".into();
        }
        let taken = |s: &str| {
            self.files
                .iter()
                .any(|(f, _)| f.split('.').next() == Some(s))
        };
        let mut candidate = stem.clone();
        let mut n = 2;
        while taken(&candidate) {
            candidate = format!("{stem}-{n}");
            n += 1;
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(g: usize, c: usize, seed: usize) -> HostMap {
        let mut cells: Vec<f32> = (0..g * g * c)
            .map(|i| ((i * 7 + seed * 13) % 11) as f32 * f32::from(u8::from(i % 3 != 0)))
            .collect();
        for cell in cells.chunks_mut(c) {
            let n = cell.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            cell.iter_mut().for_each(|v| *v /= n);
        }
        HostMap {
            h: g,
            w: g,
            c,
            cells,
        }
    }

    fn baked() -> (BundleManifest, Vec<PartFile>) {
        let model = BundleModel {
            name: "ResNet-18 test".into(),
            network: "ab".repeat(32),
        };
        let mut b = Baker::new(model, 64, &[Block::Layer4, Block::Layer3], Encoding::U8);
        assert_eq!(b.blocks(), [Block::Layer3, Block::Layer4]);
        for (i, name) in ["cat.jpg", "cat.png", "a b/c?.jpg"].into_iter().enumerate() {
            b.add(
                name,
                ("png", vec![i as u8; 10]),
                (640, 480),
                &[map(4, 8, i), map(2, 16, i)],
                (i == 0).then(|| vec![7u8; 20]),
            )
            .unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn a_baked_bundle_reads_back_and_names_every_file_once() {
        let (m, files) = baked();
        let json = &files.last().unwrap().1;
        assert_eq!(files.last().unwrap().0, MANIFEST_FILE);
        let parsed = BundleManifest::parse(json).unwrap();
        assert_eq!(parsed, m);
        let names: Vec<&str> = m.images.iter().map(|i| i.image.file.as_str()).collect();
        assert_eq!(names, ["cat.png", "cat-2.png", "a_b_c_.png"]);
        assert_eq!(m.images[0].features[1].file, "cat.layer4.u8z");
        // Only the first image was baked with a mask; old manifests without masks still parse.
        assert_eq!(m.images[0].mask.as_ref().unwrap().file, "cat.mask.png");
        assert_eq!(m.images[0].mask.as_ref().unwrap().bytes, 20);
        assert!(m.images[1].mask.is_none() && !String::from_utf8_lossy(json).contains("null"));
        assert_eq!(m.total_bytes(), 3 * 10 + 20 + m.feature_bytes());
        assert_eq!(m.channels, [8, 16]);
        let get = |f: &str| files.iter().find(|(n, _)| n == f).unwrap().1.clone();
        let img = &m.images[1];
        let feats: Vec<Vec<u8>> = img.features.iter().map(|f| get(&f.file)).collect();
        let maps = decode_image_features(&m, img, &feats).unwrap();
        assert_eq!(maps[0].0, Block::Layer3);
        let exact = map(4, 8, 1);
        let worst = exact
            .cells
            .iter()
            .zip(&maps[0].1.cells)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-2, "{worst}");
        let f = load_image_features(64, &maps, &burn::tensor::Device::flex());
        assert!(f.has(Block::Layer3) && f.has(Block::Layer4) && !f.has(Block::Layer2));
        // A damaged feature file is refused by its hash, before decoding.
        let mut bad = feats.clone();
        bad[1][3] ^= 1;
        assert!(matches!(
            decode_image_features(&m, img, &bad),
            Err(BundleError::Sha256(f)) if f == "cat-2.layer4.u8z"
        ));
    }

    #[test]
    fn manifests_that_break_a_rule_are_refused() {
        let (m, _) = baked();
        let refused = |edit: &dyn Fn(&mut BundleManifest)| {
            let mut bad = m.clone();
            edit(&mut bad);
            BundleManifest::parse(&serde_json::to_vec(&bad).unwrap())
                .unwrap_err()
                .to_string()
        };
        assert!(refused(&|b| b.format = "featsim-bundle/9".into()).contains("format"));
        assert!(refused(&|b| b.size = 100).contains("input size"));
        assert!(refused(&|b| b.blocks.reverse()).contains("shallow to deep"));
        assert!(refused(&|b| b.blocks[0] = "layer9".into()).contains("layer1–layer4"));
        assert!(
            refused(&|b| {
                b.channels.pop();
            })
            .contains("channels")
        );
        assert!(refused(&|b| b.encoding = "int4".into()).contains("encoding"));
        assert!(refused(&|b| b.images.clear()).contains("1 to 32 images"));
        assert!(refused(&|b| b.images[1].name = "cat.jpg".into()).contains("repeated"));
        assert!(refused(&|b| b.images[0].image.file = "../x.png".into()).contains("plain name"));
        assert!(refused(&|b| b.images[0].features[0].file = "cat.png".into()).contains("repeated"));
        assert!(refused(&|b| b.images[0].features[0].bytes = 1 << 40).contains("claims"));
        assert!(
            refused(&|b| b.images[0].mask.as_mut().unwrap().file = "cat.png".into())
                .contains("repeated")
        );
        assert!(
            refused(&|b| b.images[0].mask.as_mut().unwrap().bytes = 1 << 40).contains("claims")
        );
        assert!(
            refused(&|b| b.images[0].mask.as_mut().unwrap().sha256 = "x".into())
                .contains("SHA-256")
        );
        assert!(
            refused(&|b| {
                b.images[0].features.pop();
            })
            .contains("per block")
        );
        assert!(refused(&|b| b.model.network = "x".into()).contains("network id"));
        assert!(refused(&|b| b.images[0].width = 0).contains("size 0×480"));
        for junk in [&b""[..], b"[]", b"{\"format\":1}", b"\xff"] {
            assert!(matches!(
                BundleManifest::parse(junk),
                Err(BundleError::Manifest(_))
            ));
        }
    }
}
