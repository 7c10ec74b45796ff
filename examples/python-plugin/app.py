"""pyoci: a berth provider written in Python.

It serves any registry that speaks the OCI distribution API by forwarding
every operation to the host's native OCI client (the `oci` import). A real
provider would replace the one or two operations its registry does
differently, the way the Rust plugins in plugins/ do.

componentize-py maps the WIT world `plugin` onto Python like this:
- the exported interface `provider` is a class named `Provider` in this
  module, with one method per WIT function (kebab-case becomes snake_case);
- `result<T, error>` is returned as a plain `T`; an error is raised as
  `componentize_py_types.Err(<a case of types.Error>)`, and imports that fail
  raise the same `Err`, so forwarding needs no error handling at all;
- records are dataclasses, `option<T>` is `T` or `None`, `list<u8>` is
  `bytes`, enums are `Enum`s and variant cases are dataclasses named
  `Error_NotFound`, `Error_Unsupported`, ...
"""

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log, oci, types

NAME = "pyoci"
VERSION = "0.1.0"


class Provider(exports.Provider):
    def info(self) -> types.PluginInfo:
        return types.PluginInfo(
            name=NAME,
            version=VERSION,
            description="Any OCI registry, through the host's client (written in Python)",
            capabilities=[
                types.Capability.LIST_TAGS,
                types.Capability.DELETE_TAG,
                types.Capability.GET_MANIFEST,
                types.Capability.PUSH_MANIFEST,
            ],
            options=[],
        )

    def detect(self, target: types.Target, probe: types.Probe | None) -> int:
        # Chosen only with `--provider pyoci` or a catalog entry's patterns.
        return 0

    def list_tags(self, target: types.Target, cursor: str | None) -> types.TagPage:
        page = oci.list_tags(cursor)
        log.log(log.Level.DEBUG, f"pyoci: {len(page.tags)} tags of {target.repository}")
        return page

    def resolve(self, target: types.Target, reference: str) -> types.Descriptor:
        return oci.resolve(reference)

    def get_manifest(self, target: types.Target, reference: str) -> types.Manifest:
        return oci.get_manifest(reference)

    def get_blob(self, target: types.Target, digest: str) -> bytes:
        return oci.get_blob(digest)

    def push_manifest(
        self, target: types.Target, reference: str, media_type: str, bytes: bytes
    ) -> str:
        return oci.push_manifest(reference, media_type, bytes)

    def delete_tag(self, target: types.Target, tag: str, removal: types.Removal) -> None:
        # Deleting by digest removes every tag on that manifest, so only when
        # the host has checked that no other tag points at it.
        if removal.exclusive and removal.digest is not None:
            try:
                oci.delete_manifest(removal.digest)
                return
            except Err as e:
                if not isinstance(e.value, types.Error_Unsupported):
                    raise
        log.log(log.Level.DEBUG, f"pyoci: untagging {tag}")
        oci.untag(tag)
