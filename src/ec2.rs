//! On EC2, PollForTask carries the instance identity document and its
//! signature, as the Java runner sends them.

use std::path::Path;
use std::time::Duration;

use taskrunner::service::InstanceIdentity;

/// Files whose content says the host is an EC2 instance (Nitro and Xen).
const EC2_MARKERS: [(&str, &str); 2] = [
    ("/sys/class/dmi/id/sys_vendor", "Amazon EC2"),
    ("/sys/hypervisor/uuid", "ec2"),
];

/// Whether this host looks like an EC2 instance. Checked from local files
/// first, so that no request goes to the metadata address off EC2.
pub(crate) fn on_ec2() -> bool {
    EC2_MARKERS.iter().any(|(path, marker)| {
        std::fs::read_to_string(Path::new(path))
            .is_ok_and(|content| content.trim().starts_with(marker))
    })
}

/// The instance identity from the metadata service, or `None` (logged)
/// when it cannot be read.
pub(crate) async fn instance_identity() -> Option<InstanceIdentity> {
    let client = aws_config::imds::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(2))
        .build();
    let document = client
        .get("/latest/dynamic/instance-identity/document")
        .await;
    let signature = client
        .get("/latest/dynamic/instance-identity/signature")
        .await;
    match (document, signature) {
        (Ok(document), Ok(signature)) => Some(InstanceIdentity {
            document: document.into(),
            signature: signature.into(),
        }),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "on EC2 but the instance identity could not be read; polling without it");
            None
        }
    }
}
