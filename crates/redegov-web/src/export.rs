//! Exports of every list: CSV (`;`-separated with a UTF-8 BOM, so Brazilian
//! Excel opens accents and columns right) and XLSX (money as numbers with a
//! `R$` format). A list builds one [`Table`]; both formats come from it.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use redegov_domain::money::Money;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Money(Money),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(i: i64) -> Cell {
        Cell::Int(i)
    }
}

impl From<Money> for Cell {
    fn from(m: Money) -> Cell {
        Cell::Money(m)
    }
}

/// A list ready to export.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

impl Table {
    pub fn new(title: &str, headers: &[&str]) -> Table {
        Table { title: title.into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows: vec![] }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// CSV bytes: BOM, `;` delimiter, money as `1234,56` (pt-BR decimal).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        {
            let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
            // Writing to a Vec cannot fail; errors would only come from I/O.
            let _ = w.write_record(&self.headers);
            for row in &self.rows {
                let fields: Vec<String> = row
                    .iter()
                    .map(|c| match c {
                        Cell::Text(t) => t.clone(),
                        Cell::Int(i) => i.to_string(),
                        Cell::Money(m) => {
                            let abs = m.centavos().unsigned_abs();
                            let sign = if m.centavos() < 0 { "-" } else { "" };
                            format!("{sign}{},{:02}", abs / 100, abs % 100)
                        }
                    })
                    .collect();
                let _ = w.write_record(&fields);
            }
            let _ = w.flush();
        }
        out
    }

    /// XLSX bytes, header in bold, money formatted as `R$ #.##0,00`.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format as XFormat, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let name: String = self.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        if !name.is_empty() {
            sheet.set_name(&name)?;
        }
        let bold = XFormat::new().set_bold();
        let money = XFormat::new().set_num_format("\"R$\" #,##0.00");
        for (col, h) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, h, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => sheet.write_string(r, c, t)?,
                    Cell::Int(i) => sheet.write_number(r, c, *i as f64)?,
                    // Display only: the exact value stays in the DB, CSV and API.
                    Cell::Money(m) => {
                        sheet.write_number_with_format(r, c, m.centavos() as f64 / 100.0, &money)?
                    }
                };
            }
        }
        sheet.autofit();
        book.save_to_buffer()
    }

    /// The HTTP response carrying this table as a file download.
    pub fn into_download(self, format: Format, file_stem: &str) -> Response {
        let (bytes, mime, ext) = match format {
            Format::Csv => (Ok(self.to_csv()), "text/csv; charset=utf-8", "csv"),
            Format::Xlsx => {
                (self.to_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
            }
        };
        match bytes {
            Ok(bytes) => (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, mime.to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_stem}.{ext}\"")),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => {
                let id = crate::error::log_internal(&e);
                (StatusCode::INTERNAL_SERVER_ERROR, format!("Erro ao gerar a planilha (código {id})."))
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_excel_friendly() {
        let mut t = Table::new("Acessos", &["Município", "Preço"]);
        t.push(vec!["São João del-Rei".into(), Money::from_centavos(123456).into()]);
        let text = String::from_utf8(t.to_csv()).expect("utf8");
        assert_eq!(text, "\u{feff}Município;Preço\nSão João del-Rei;1234,56\n");
    }

    #[test]
    fn xlsx_is_a_zip() {
        let mut t = Table::new("Acessos", &["A"]);
        t.push(vec![Cell::Int(1)]);
        let bytes = t.to_xlsx().expect("xlsx");
        assert_eq!(&bytes[..2], b"PK");
    }
}
