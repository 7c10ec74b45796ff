//! Tests parameterised by vendor.

/// One test per vendor of `check`, a `fn(Vendor)`, in a module named after
/// it: `every_vendor!(round_trip)` gives `round_trip::harbor` and the rest.
macro_rules! every_vendor {
    ($check:ident) => {
        $crate::support::bed::every_vendor!($check:
            default Default, default_token DefaultToken, oci_layout OciLayout, ecr Ecr,
            acr Acr, gcr Gcr, yandex Yandex, dockerhub DockerHub, github Github,
            gitlab Gitlab, harbor Harbor, quay Quay, artifactory Artifactory, nexus Nexus
        );
    };
    ($check:ident: $($test:ident $vendor:ident),*) => {
        mod $check {
            $(
                #[test]
                fn $test() {
                    super::$check($crate::support::Vendor::$vendor)
                }
            )*
        }
    };
}
pub(crate) use every_vendor;
