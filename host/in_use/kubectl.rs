//! The images of `kubectl get pods -A -o json`: every container, init
//! container and ephemeral container `image` in each pod's `spec`, and
//! `image` and `imageID` in its `status`.

use serde::Deserialize;

#[derive(Deserialize)]
struct List {
    items: Vec<Pod>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Pod {
    spec: Spec,
    status: Status,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Spec {
    containers: Vec<Container>,
    init_containers: Vec<Container>,
    ephemeral_containers: Vec<Container>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Status {
    container_statuses: Vec<ContainerStatus>,
    init_container_statuses: Vec<ContainerStatus>,
    ephemeral_container_statuses: Vec<ContainerStatus>,
}

#[derive(Deserialize)]
struct Container {
    image: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerStatus {
    image: Option<String>,
    #[serde(rename = "imageID")]
    image_id: Option<String>,
}

/// Every image reference the pods name; an empty `imageID` (a container
/// still pulling) is skipped.
pub fn images(text: &str) -> Result<Vec<String>, String> {
    let list: List =
        serde_json::from_str(text).map_err(|e| format!("not a Kubernetes list of pods: {e}"))?;
    let mut found = Vec::new();
    for pod in list.items {
        let spec = [
            pod.spec.containers,
            pod.spec.init_containers,
            pod.spec.ephemeral_containers,
        ];
        found.extend(spec.into_iter().flatten().filter_map(|c| c.image));
        let status = [
            pod.status.container_statuses,
            pod.status.init_container_statuses,
            pod.status.ephemeral_container_statuses,
        ];
        for s in status.into_iter().flatten() {
            found.extend(s.image);
            found.extend(s.image_id);
        }
    }
    found.retain(|i| !i.trim().is_empty());
    Ok(found)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_of_container() {
        let text = r#"{"apiVersion":"v1","kind":"List","items":[{"spec":{
            "containers":[{"image":"a:1"}],"initContainers":[{"image":"b:1"}],
            "ephemeralContainers":[{"image":"c:1"}]},
            "status":{"containerStatuses":[{"image":"a:1","imageID":"docker-pullable://a@sha256:x"}],
            "initContainerStatuses":[{"image":"b:1","imageID":""}]}}]}"#;
        let images = super::images(text).unwrap();
        assert_eq!(
            images,
            [
                "a:1",
                "b:1",
                "c:1",
                "a:1",
                "docker-pullable://a@sha256:x",
                "b:1"
            ]
        );
        assert!(super::images(r#"{"items":3}"#).is_err());
    }
}
