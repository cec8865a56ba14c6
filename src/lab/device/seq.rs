//! `seq` as GNU coreutils has it: `seq [-f FORMAT] [-s SEP] [-w] [FIRST [INCREMENT]] LAST`, with
//! printf-style `%g`/`%f`/`%e` formats, so tests can make a Linux device print any number of
//! lines of any shape (`seq -f 'cpu %g%%' 1 300000`).

/// Most lines one `seq` may print in the lab (memory, not principle).
const MAX_LINES: f64 = 5_000_000.0;

/// The output of `seq` with these arguments (already split like a shell), or its complaint.
pub(crate) fn run(args: &[String]) -> Result<String, String> {
    let mut format: Option<String> = None;
    let mut separator = "\n".to_string();
    let mut equal_width = false;
    let mut numbers: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let mut value = |name: &str| -> Result<String, String> {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("seq: option requires an argument -- '{name}'\n{TRY}"))
        };
        match arg {
            "-f" | "--format" => format = Some(value("f")?),
            "-s" | "--separator" => separator = value("s")?,
            "-w" | "--equal-width" => equal_width = true,
            _ if arg.starts_with("--format=") => format = Some(arg["--format=".len()..].into()),
            _ if arg.starts_with("-f") && arg.len() > 2 => format = Some(arg[2..].into()),
            _ if arg.starts_with("-s") && arg.len() > 2 => separator = arg[2..].into(),
            _ if arg.starts_with('-') && arg[1..].parse::<f64>().is_err() => {
                return Err(format!("seq: invalid option -- '{}'\n{TRY}", &arg[1..]));
            }
            _ => numbers.push(arg),
        }
        i += 1;
    }
    let parsed: Vec<f64> = numbers
        .iter()
        .map(|n| {
            n.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("seq: invalid floating point argument: '{n}'\n{TRY}"))
        })
        .collect::<Result<_, _>>()?;
    let (first, step, last) = match parsed.as_slice() {
        [last] => (1.0, 1.0, *last),
        [first, last] => (*first, 1.0, *last),
        [first, step, last] => (*first, *step, *last),
        [] => return Err(format!("seq: missing operand\n{TRY}")),
        _ => return Err(format!("seq: extra operand '{}'\n{TRY}", numbers[3])),
    };
    if step == 0.0 {
        return Err(format!(
            "seq: invalid Zero increment value: '{}'\n{TRY}",
            numbers[1]
        ));
    }
    let count = ((last - first) / step).floor() + 1.0;
    if count > MAX_LINES {
        return Err(format!("seq: the lab prints at most {MAX_LINES} lines"));
    }
    let spec = match &format {
        Some(f) => Some(Spec::parse(f)?),
        None => None,
    };
    let integers = numbers.iter().all(|n| !n.contains(['.', 'e', 'E']));
    let decimals = numbers
        .iter()
        .take(numbers.len().saturating_sub(1).max(1))
        .filter_map(|n| n.split_once('.').map(|(_, d)| d.len()))
        .max()
        .unwrap_or(0);
    let width = if equal_width && integers {
        [first, last]
            .iter()
            .map(|v| format!("{}", *v as i64).len())
            .max()
            .unwrap_or(0)
    } else {
        0
    };
    let mut out = String::new();
    let mut n = 0.0;
    while n < count.max(0.0) {
        let value = first + n * step;
        if n > 0.0 {
            out.push_str(&separator);
        }
        match &spec {
            Some(spec) => spec.write(value, &mut out),
            None if integers => out.push_str(&format!("{:0width$}", value as i64)),
            None => out.push_str(&format!("{value:.decimals$}")),
        }
        n += 1.0;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

const TRY: &str = "Try 'seq --help' for more information.";

/// A format with one floating-point directive.
struct Spec {
    before: String,
    after: String,
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    conversion: char,
}

impl Spec {
    fn parse(format: &str) -> Result<Spec, String> {
        let mut before = String::new();
        let mut chars = format.chars().peekable();
        let unescape = |s: &str| s.replace("%%", "%");
        let mut raw_before = String::new();
        while let Some(c) = chars.next() {
            if c == '%' {
                if chars.peek() == Some(&'%') {
                    chars.next();
                    raw_before.push_str("%%");
                    continue;
                }
                let mut spec = Spec {
                    before: String::new(),
                    after: String::new(),
                    left: false,
                    zero: false,
                    plus: false,
                    space: false,
                    alt: false,
                    width: 0,
                    precision: None,
                    conversion: 'g',
                };
                while let Some(&f) = chars.peek() {
                    match f {
                        '-' => spec.left = true,
                        '0' => spec.zero = true,
                        '+' => spec.plus = true,
                        ' ' => spec.space = true,
                        '#' => spec.alt = true,
                        '\'' => {}
                        _ => break,
                    }
                    chars.next();
                }
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    spec.width = spec.width * 10 + d as usize;
                    chars.next();
                }
                if chars.peek() == Some(&'.') {
                    chars.next();
                    let mut p = 0;
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        p = p * 10 + d as usize;
                        chars.next();
                    }
                    spec.precision = Some(p);
                }
                match chars.next() {
                    Some(c @ ('g' | 'G' | 'f' | 'F' | 'e' | 'E' | 'a' | 'A')) => {
                        spec.conversion = c
                    }
                    other => {
                        return Err(format!(
                            "seq: format '{format}' has unknown %{} directive",
                            other.map(String::from).unwrap_or_default()
                        ));
                    }
                }
                let rest: String = chars.collect();
                if rest.replace("%%", "").contains('%') {
                    return Err(format!("seq: format '{format}' has too many % directives"));
                }
                before.push_str(&unescape(&raw_before));
                spec.before = before;
                spec.after = unescape(&rest);
                return Ok(spec);
            }
            raw_before.push(c);
        }
        Err(format!("seq: format '{format}' has no % directive"))
    }

    fn write(&self, value: f64, out: &mut String) {
        let precision = self.precision.unwrap_or(6);
        let upper = self.conversion.is_ascii_uppercase();
        let mut body = match self.conversion.to_ascii_lowercase() {
            'f' => format!("{:.*}", precision, value.abs()),
            'e' => exponent(value.abs(), precision, upper),
            _ => general(value.abs(), precision, upper, self.alt),
        };
        if self.alt && !body.contains('.') && self.conversion.eq_ignore_ascii_case(&'f') {
            body.push('.');
        }
        let sign = if value.is_sign_negative() && value != 0.0 {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        out.push_str(&self.before);
        let len = sign.len() + body.len();
        let fill = self.width.saturating_sub(len);
        if self.left {
            out.push_str(sign);
            out.push_str(&body);
            out.extend(std::iter::repeat_n(' ', fill));
        } else if self.zero {
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', fill));
            out.push_str(&body);
        } else {
            out.extend(std::iter::repeat_n(' ', fill));
            out.push_str(sign);
            out.push_str(&body);
        }
        out.push_str(&self.after);
    }
}

/// `%e`: `1.234500e+05`.
fn exponent(value: f64, precision: usize, upper: bool) -> String {
    let repr = format!("{value:.precision$e}");
    let (mantissa, exp) = repr.split_once('e').unwrap_or((&repr, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}{e}{sign}{:02}", exp.abs())
}

/// `%g`: the shorter of `%e` and `%f` at `precision` significant digits, without trailing zeros.
fn general(value: f64, precision: usize, upper: bool, alt: bool) -> String {
    let p = precision.max(1);
    if value == 0.0 {
        return if alt {
            format!("{:.*}", p - 1, 0.0)
        } else {
            "0".into()
        };
    }
    let repr = format!("{value:.*e}", p - 1);
    let exp: i32 = repr
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let strip = |s: String| -> String {
        if alt || !s.contains('.') {
            return s;
        }
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if exp < -4 || exp >= p as i32 {
        let full = exponent(value, p - 1, upper);
        let (mantissa, rest) = full.split_at(full.find(['e', 'E']).unwrap_or(full.len()));
        format!("{}{rest}", strip(mantissa.to_string()))
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip(format!("{value:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(line: &str) -> Result<String, String> {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        run(&args)
    }

    #[test]
    fn counts_like_coreutils() {
        assert_eq!(seq("3").expect("seq"), "1\n2\n3\n");
        assert_eq!(seq("2 4").expect("seq"), "2\n3\n4\n");
        assert_eq!(seq("1 2 6").expect("seq"), "1\n3\n5\n");
        assert_eq!(seq("5 1").expect("seq"), "");
        assert_eq!(seq("-w 8 10").expect("seq"), "08\n09\n10\n");
        assert_eq!(seq("-s , 3").expect("seq"), "1,2,3\n");
        assert_eq!(seq("1 0.5 2").expect("seq"), "1.0\n1.5\n2.0\n");
        assert!(
            seq("x")
                .expect_err("bad")
                .starts_with("seq: invalid floating point argument: 'x'")
        );
        assert!(
            seq("")
                .expect_err("none")
                .starts_with("seq: missing operand")
        );
    }

    #[test]
    fn formats_like_printf() {
        let f = |format: &str, a: &str| {
            run(&["-f".into(), format.into(), a.into(), a.into()]).expect("seq")
        };
        assert_eq!(f("cpu %g%%", "300000"), "cpu 300000%\n");
        assert_eq!(f("%g", "1000000"), "1e+06\n");
        assert_eq!(f("%g", "0.0001"), "0.0001\n");
        assert_eq!(f("%g", "0.00001"), "1e-05\n");
        assert_eq!(f("%g", "2.5"), "2.5\n");
        assert_eq!(f("%05g", "42"), "00042\n");
        assert_eq!(f("%-4g|", "7"), "7   |\n");
        assert_eq!(f("%.2f", "3"), "3.00\n");
        assert_eq!(f("%e", "12345"), "1.234500e+04\n");
        assert_eq!(f("R%g#", "1"), "R1#\n");
        assert_eq!(f("%G", "1e20"), "1E+20\n");
        let err = run(&["-f".into(), "%d".into(), "1".into()]).expect_err("bad");
        assert!(err.contains("unknown %d directive"), "{err}");
        let err = run(&["-f".into(), "x".into(), "1".into()]).expect_err("bad");
        assert!(err.contains("no % directive"), "{err}");
    }

    #[test]
    fn many_lines() {
        let out = run(&["-f".into(), "cpu %g%%".into(), "1".into(), "300000".into()]).expect("seq");
        assert_eq!(out.lines().count(), 300_000);
        assert!(out.ends_with("cpu 300000%\n"));
    }
}
