//! Optional SigV4 signature checking: with credentials configured, a request
//! must be signed with them.

use hmac::{Hmac, Mac};
use http::{HeaderMap, Method};
use sha2::{Digest, Sha256};

use crate::config::Credentials;
use crate::error::{ServiceError, ServiceResult};

type HmacSha256 = Hmac<Sha256>;

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug)]
struct Authorization<'a> {
    access_key_id: &'a str,
    /// `date/region/service/aws4_request`.
    scope: &'a str,
    date: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(header: &str) -> Option<Authorization<'_>> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let (access_key_id, scope) = credential?.split_once('/')?;
    let date = scope.split('/').next()?;
    Some(Authorization {
        access_key_id,
        scope,
        date,
        signed_headers: signed_headers?.split(';').collect(),
        signature: signature?,
    })
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // An HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Checks that the request is signed with `credentials`.
///
/// # Errors
/// InvalidSignatureException saying what is wrong: no signature, another
/// access key, or a signature that does not match.
pub(crate) fn verify(
    credentials: &Credentials,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> ServiceResult<()> {
    let refuse = |message: &str| ServiceError::InvalidSignature(message.to_owned());
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| refuse("the request is not signed: sign it with SigV4 and the credentials the service was started with"))?;
    let authorization = parse(header).ok_or_else(|| {
        refuse("the Authorization header is not a SigV4 AWS4-HMAC-SHA256 signature")
    })?;
    if authorization.access_key_id != credentials.access_key_id {
        return Err(refuse(&format!(
            "access key {} is not the one the service accepts",
            authorization.access_key_id
        )));
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| refuse("the signed request has no X-Amz-Date header"))?;
    let mut canonical_headers = String::new();
    for name in &authorization.signed_headers {
        let values: Vec<&str> = headers
            .get_all(*name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(str::trim)
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload_hash = headers
        .get("x-amz-content-sha256")
        .and_then(|value| value.to_str().ok())
        .map_or_else(|| hex::encode(Sha256::digest(body)), str::to_owned);
    let canonical_request = format!(
        "{method}\n/\n\n{canonical_headers}\n{}\n{payload_hash}",
        authorization.signed_headers.join(";")
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
        authorization.scope,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut scope_parts = authorization.scope.split('/').skip(1);
    let (Some(region), Some(service)) = (scope_parts.next(), scope_parts.next()) else {
        return Err(refuse(
            "the credential scope is not date/region/service/aws4_request",
        ));
    };
    let key = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        authorization.date,
    );
    let key = hmac(&key, region);
    let key = hmac(&key, service);
    let key = hmac(&key, "aws4_request");
    let expected = hex::encode(hmac(&key, &string_to_sign));
    if expected != authorization.signature {
        return Err(refuse(
            "the signature does not match: check the secret access key",
        ));
    }
    Ok(())
}
