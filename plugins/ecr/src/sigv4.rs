//! AWS Signature Version 4 for requests whose headers are all signed: the
//! canonical request, the string to sign, the derived key, and the
//! `Authorization` value. HMAC-SHA256 is built here from SHA-256.

use sha2::{Digest, Sha256};

/// Long-term or temporary AWS credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Present for temporary credentials; sent as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What one signature covers.
pub struct Signing<'a> {
    pub method: &'a str,
    /// Already URI-encoded path, `/` for the AWS JSON protocols.
    pub path: &'a str,
    /// Every header to sign, `x-amz-date` and `host` included; names in any
    /// case.
    pub headers: &'a [(String, String)],
    pub payload: &'a [u8],
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDD'T'HHMMSS'Z'`, the value of `x-amz-date`.
    pub amz_date: &'a str,
}

/// The `Authorization` header value for `request` signed with `credentials`.
pub fn authorization(credentials: &Credentials, request: &Signing) -> String {
    let date = &request.amz_date[..8.min(request.amz_date.len())];
    let scope = format!("{date}/{}/{}/aws4_request", request.region, request.service);
    let (canonical, signed_headers) = canonical_request(request);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        request.amz_date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = signing_key(
        &credentials.secret_access_key,
        date,
        request.region,
        request.service,
    );
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id
    )
}

/// The canonical request (no query string) and the signed-header list.
fn canonical_request(request: &Signing) -> (String, String) {
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), collapse(value)))
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    for (name, value) in &headers {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let signed = signed.join(";");
    let canonical = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed}\n{}",
        request.method,
        request.path,
        hex(&Sha256::digest(request.payload))
    );
    (canonical, signed)
}

/// Trimmed, with runs of spaces collapsed to one, as SigV4 requires.
fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// HMAC (RFC 2104) over SHA-256, block size 64.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_credentials(session_token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: session_token.map(String::from),
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn hmac_rfc4231_vectors() {
        // Test case 2: a short key.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// `get-vanilla` from the AWS SigV4 test suite.
    #[test]
    fn aws_suite_get_vanilla() {
        let headers = headers(&[
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ]);
        let signed = authorization(
            &example_credentials(None),
            &Signing {
                method: "GET",
                path: "/",
                headers: &headers,
                payload: b"",
                region: "us-east-1",
                service: "service",
                amz_date: "20150830T123600Z",
            },
        );
        assert_eq!(
            signed,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// An ECR call as botocore's signer signs it, with and without a session
    /// token.
    #[test]
    fn ecr_json_call_matches_botocore() {
        let body = br#"{"repositoryName":"app","maxResults":1000}"#;
        for (token, expected) in [
            (
                None,
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
                 Signature=0408cba2700514c48053e8341e795a83c2be407bce7ccd603eccb5831fdfbbd5",
            ),
            (
                Some("SESSIONTOKEN/abc+="),
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
                 Signature=5044f27146eca04ad9017b8771b94a35bdd31feefbe98e5a272b8829fcb42598",
            ),
        ] {
            let mut pairs = vec![
                ("Content-Type", "application/x-amz-json-1.1"),
                (
                    "X-Amz-Target",
                    "AmazonEC2ContainerRegistry_V20150921.ListImages",
                ),
                ("host", "api.ecr.us-east-1.amazonaws.com"),
                ("x-amz-date", "20261126T234356Z"),
            ];
            if let Some(token) = token {
                pairs.push(("X-Amz-Security-Token", token));
            }
            let headers = headers(&pairs);
            let signed = authorization(
                &example_credentials(token),
                &Signing {
                    method: "POST",
                    path: "/",
                    headers: &headers,
                    payload: body,
                    region: "us-east-1",
                    service: "ecr",
                    amz_date: "20261126T234356Z",
                },
            );
            assert_eq!(
                signed,
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/ecr/aws4_request, {expected}"
                )
            );
        }
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(collapse("  a   b \t c "), "a b c");
    }

    #[test]
    fn debug_hides_the_secret() {
        let shown = format!("{:?}", example_credentials(Some("tok")));
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("wJalr") && !shown.contains("tok"));
    }
}
