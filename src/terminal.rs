//! Whether output may carry terminal escape codes (colours, cursor moves):
//! only on a terminal, and never when `NO_COLOR` is set to anything
//! (https://no-color.org) or `TERM` is `dumb`. Pipes and files get plain
//! text.

/// Whether a stream that `is_terminal` (or not) may get escape codes.
pub(crate) fn escape_codes_allowed(is_terminal: bool) -> bool {
    is_terminal && !no_color() && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

/// Whether `NO_COLOR` asks for no colour: set and not empty.
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}
