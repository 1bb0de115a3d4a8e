//! The header of a `.npy` file: a Python dict literal with exactly the keys
//! `descr`, `fortran_order` and `shape`, parsed as strictly as
//! `numpy.lib.format` does (which `ast.literal_eval`s it and checks the keys
//! and the value types), so that a file numpy would refuse is refused here too.

/// numpy refuses headers longer than this unless `max_header_size` is raised.
pub const MAX_HEADER_LEN: usize = 10_000;

/// What the header says about the array.
#[derive(Debug, PartialEq)]
pub struct NpyHeader {
    /// The dtype string, e.g. `<f4`.
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
}

/// A value of the header dict.
enum Literal {
    Str(String),
    Bool(bool),
    Ints(Vec<i64>),
}

/// Parses the header text (without the magic and the length field).
pub fn parse_header(text: &str) -> Result<NpyHeader, String> {
    if text.len() > MAX_HEADER_LEN {
        return Err(format!("header is {} bytes, more than numpy's limit of {MAX_HEADER_LEN}", text.len()));
    }
    let mut p = Parser { s: text.as_bytes(), at: 0 };
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    p.expect(b'{')?;
    loop {
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran_order,
            "shape" => &mut shape,
            other => return Err(format!("header has the unexpected key '{other}'")),
        };
        if slot.replace(p.value()?).is_some() {
            return Err(format!("header has the key '{key}' twice"));
        }
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    if !p.rest().trim().is_empty() {
        return Err(format!("header has text after the dict: '{}'", p.rest().trim()));
    }
    let descr = match descr.ok_or("header has no 'descr'")? {
        Literal::Str(s) => s,
        _ => return Err("header 'descr' is not a string (structured dtypes are not supported)".into()),
    };
    let fortran_order = match fortran_order.ok_or("header has no 'fortran_order'")? {
        Literal::Bool(b) => b,
        _ => return Err("header 'fortran_order' is not True or False".into()),
    };
    let shape = match shape.ok_or("header has no 'shape'")? {
        Literal::Ints(dims) => dims
            .into_iter()
            .map(|d| usize::try_from(d).map_err(|_| format!("header 'shape' has the negative dimension {d}")))
            .collect::<Result<_, _>>()?,
        _ => return Err("header 'shape' is not a tuple of integers".into()),
    };
    Ok(NpyHeader { descr, fortran_order, shape })
}

/// A cursor over the header text.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        std::str::from_utf8(&self.s[self.at..]).unwrap_or("")
    }
    fn skip_space(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.at).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.at += 1;
        }
        found
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            return Ok(());
        }
        let found = self.peek().map_or("the end".to_string(), |f| format!("'{}'", f as char));
        Err(format!("header is not a Python dict: expected '{}' at byte {}, found {found}", c as char, self.at))
    }
    /// A quoted string without escapes (numpy never writes any).
    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().filter(|&q| q == b'\'' || q == b'"');
        let quote =
            quote.ok_or_else(|| format!("header is not a Python dict: expected a string at byte {}", self.at))?;
        let start = self.at + 1;
        let len = self.s[start..].iter().position(|&c| c == quote).ok_or("header has an unterminated string")?;
        let text = &self.s[start..start + len];
        if text.contains(&b'\\') {
            return Err("header strings with escapes are not supported".into());
        }
        self.at = start + len + 1;
        Ok(String::from_utf8_lossy(text).into_owned())
    }
    fn value(&mut self) -> Result<Literal, String> {
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Literal::Str),
            Some(b'(') => self.tuple().map(Literal::Ints),
            _ => {
                let word = self.word();
                match word {
                    "True" => Ok(Literal::Bool(true)),
                    "False" => Ok(Literal::Bool(false)),
                    _ => Err(format!("header has the value '{word}', which is not a string, bool or tuple")),
                }
            }
        }
    }
    /// A tuple of integers: `()`, `(5,)`, `(2, 3)`; `(5)` is an int in Python, not a tuple.
    fn tuple(&mut self) -> Result<Vec<i64>, String> {
        self.expect(b'(')?;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !self.eat(b')') {
            let word = self.word();
            let n =
                word.parse::<i64>().map_err(|_| format!("header 'shape' has the entry '{word}', not an integer"))?;
            items.push(n);
            trailing_comma = self.eat(b',');
            if !trailing_comma {
                self.expect(b')')?;
                break;
            }
        }
        if items.len() == 1 && !trailing_comma {
            return Err("header 'shape' is an integer, not a tuple (write (n,))".into());
        }
        Ok(items)
    }
    /// The run of characters up to the next delimiter.
    fn word(&mut self) -> &str {
        self.skip_space();
        let start = self.at;
        while self.s.get(self.at).is_some_and(|c| !b",:(){}'\" \t\r\n".contains(c)) {
            self.at += 1;
        }
        std::str::from_utf8(&self.s[start..self.at]).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_numpy_writes() {
        let h = parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }      \n").unwrap();
        assert_eq!(h, NpyHeader { descr: "<f4".into(), fortran_order: false, shape: vec![1, 2] });
        assert_eq!(parse_header("{'descr': '|b1', 'fortran_order': True, 'shape': ()}").unwrap().shape, vec![]);
        assert_eq!(parse_header("{\"shape\": (7,), \"descr\": \"<i8\", \"fortran_order\": False}").unwrap().shape, [7]);
    }

    #[test]
    fn refuses_what_numpy_refuses() {
        let cases = [
            ("{'descr': '<f4', 'fortran_order': False}", "no 'shape'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key 'extra'"),
            ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "'descr' twice"),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "value '0'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "value '"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "an integer, not a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "negative dimension -3"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", "'2.5', not an integer"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", "text after the dict"),
            ("{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", "expected '}'"),
            ("'descr': '<f4'", "expected '{'"),
            ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", "value '"),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "expected '}'"),
        ];
        for (text, reason) in cases {
            let err = parse_header(text).expect_err(text);
            assert!(err.contains(reason), "{text}: '{err}' lacks '{reason}'");
        }
        let long = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}}{}", " ".repeat(MAX_HEADER_LEN));
        assert!(parse_header(&long).unwrap_err().contains("numpy's limit"));
    }
}
