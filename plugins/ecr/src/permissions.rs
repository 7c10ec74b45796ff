//! What the AWS credentials may do on the repository, learned without
//! writing: one `ListImages` call shows whether reading works. IAM has no
//! way to ask what a write would be allowed without trying it (the policy
//! simulator needs IAM permissions of its own), so pushing and deleting
//! stay unknown, with the IAM actions they need named.

use crate::api::Api;
use berth_sdk::{Access, Error, Permissions, Result, Target};
use serde_json::{Value, json};

pub fn check(target: &Target) -> Result<Permissions> {
    let api = Api::for_target(target)?;
    let mut body = api.body();
    body["maxResults"] = json!(1);
    let (list, said) = match api.call::<Value>("ListImages", &body) {
        Ok(_) => (Access::Yes, "ListImages succeeded".to_string()),
        Err(Error::Forbidden(m)) | Err(Error::Unauthorized(m)) => (Access::No, m),
        Err(e) => return Err(e),
    };
    let mut hints = Vec::new();
    if list == Access::No {
        hints.push(
            "the IAM identity needs ecr:ListImages and ecr:DescribeImages on the repository (and ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer to read images)".to_string(),
        );
    }
    Ok(Permissions {
        list,
        push: Access::Unknown,
        delete: Access::Unknown,
        credential_source: Some("the AWS credentials of the environment or profile".into()),
        notes: vec![
            said,
            "IAM tells what a write may do only by trying it: pushing needs ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:BatchCheckLayerAvailability and ecr:PutImage; removing tags needs ecr:BatchDeleteImage".into(),
        ],
        hints,
    })
}
