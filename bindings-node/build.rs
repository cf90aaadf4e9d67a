//! napi-rs' link setup (on macOS: leave the napi symbols to the Node process that loads us).
fn main() {
    napi_build::setup();
}
