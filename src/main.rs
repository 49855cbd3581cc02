//! The `taskrunner` binary (placeholder until the runner lands).

fn main() {
    println!("taskrunner: not yet implemented");
}
