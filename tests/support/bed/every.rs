//! Tests parameterised by vendor.

/// One test per vendor of `check`, a `fn(Vendor)`, in a module named after
/// it: `every_vendor!(round_trip)` gives `round_trip::harbor` and the rest.
macro_rules! every_vendor {
    ($check:ident) => {
        mod $check {
            use $crate::support::Vendor;

            #[test]
            fn default() {
                super::$check(Vendor::Default)
            }
            #[test]
            fn default_token() {
                super::$check(Vendor::DefaultToken)
            }
            #[test]
            fn oci_layout() {
                super::$check(Vendor::OciLayout)
            }
            #[test]
            fn ecr() {
                super::$check(Vendor::Ecr)
            }
            #[test]
            fn acr() {
                super::$check(Vendor::Acr)
            }
            #[test]
            fn gcr() {
                super::$check(Vendor::Gcr)
            }
            #[test]
            fn yandex() {
                super::$check(Vendor::Yandex)
            }
            #[test]
            fn dockerhub() {
                super::$check(Vendor::DockerHub)
            }
            #[test]
            fn github() {
                super::$check(Vendor::Github)
            }
            #[test]
            fn gitlab() {
                super::$check(Vendor::Gitlab)
            }
            #[test]
            fn harbor() {
                super::$check(Vendor::Harbor)
            }
            #[test]
            fn quay() {
                super::$check(Vendor::Quay)
            }
            #[test]
            fn artifactory() {
                super::$check(Vendor::Artifactory)
            }
            #[test]
            fn nexus() {
                super::$check(Vendor::Nexus)
            }
        }
    };
}
pub(crate) use every_vendor;
