//! A zip archive of a bundle folder, as the page's "Download bundle" hands it to the visitor.
//! Entries are stored, not compressed: feature files are zlib streams already and display
//! copies JPEG or PNG. (The `zip` crate would add some tens of kilobytes to the page's wasm for
//! what is a header per file.)

/// A zip of `files` under `folder/` (stored entries, CRC-32, no timestamps: 1980-01-01).
pub fn stored(folder: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let path = format!("{folder}/{name}");
        let crc = crc32fast::hash(data);
        let offset = out.len() as u32;
        let size = data.len() as u32;
        // Local file header.
        out.extend(0x0403_4b50u32.to_le_bytes());
        header(&mut out, crc, size, &path);
        out.extend(path.as_bytes());
        out.extend(data);
        // Its central directory entry.
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // made by: version 2.0
        header(&mut central, crc, size, &path);
        central.extend([0u8; 10]); // comment length, disk, internal and external attributes
        central.extend(offset.to_le_bytes());
        central.extend(path.as_bytes());
    }
    let start = out.len() as u32;
    let n = files.len() as u16;
    let central_len = central.len() as u32;
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]); // disk numbers
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(central_len.to_le_bytes());
    out.extend(start.to_le_bytes());
    out.extend(0u16.to_le_bytes()); // comment length
    out
}

/// The fields local and central headers share: version needed, flags (UTF-8 names), method
/// (stored), time and date, CRC, sizes, name length, extra length.
fn header(out: &mut Vec<u8>, crc: u32, size: u32, path: &str) {
    out.extend(20u16.to_le_bytes());
    out.extend(0x0800u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0x0021u16.to_le_bytes());
    out.extend(crc.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend((path.len() as u16).to_le_bytes());
    out.extend(0u16.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_zip_crate_reads_it_back() {
        let files = vec![
            ("bundle.json".to_owned(), b"{}".to_vec()),
            (
                "cat.layer4.u8z".to_owned(),
                (0..=255u8).cycle().take(70_000).collect(),
            ),
            ("empty".to_owned(), Vec::new()),
        ];
        let bytes = stored("featsim-bundle", &files);
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), 3);
        for (name, data) in &files {
            let mut f = z.by_name(&format!("featsim-bundle/{name}")).unwrap();
            let mut back = Vec::new();
            f.read_to_end(&mut back).unwrap();
            assert_eq!(&back, data, "{name}");
        }
    }
}
