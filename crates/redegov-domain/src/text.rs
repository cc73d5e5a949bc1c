//! Text normalisation for comparing and searching names typed by people.

/// Lower case without Portuguese diacritics, trimmed: "São João" and
/// "SAO JOAO" fold to the same text. Used to compare municipality names and
/// to build the search keys the store matches with `LIKE` (SQLite's `LOWER`
/// only knows ASCII, so folding happens here, once, for both backends).
pub fn fold(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'ê' | 'è' | 'ë' => 'e',
            'í' | 'î' | 'ì' | 'ï' => 'i',
            'ó' | 'ô' | 'õ' | 'ò' | 'ö' => 'o',
            'ú' | 'û' | 'ù' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// The search key of a record: its searchable fields folded and joined.
pub fn search_key(parts: &[&str]) -> String {
    parts.iter().map(|p| fold(p)).collect::<Vec<_>>().join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold(" São João del-Rei "), "sao joao del-rei");
        assert_eq!(fold("ÓRGÃO"), "orgao");
        assert_eq!(search_key(&["Órgão A", "OA"]), "orgao a | oa");
    }
}
