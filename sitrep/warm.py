"""What a long-lived process (`serve`) keeps between builds of one site, so that a rebuild after an
edit redoes only the work the edit touched.

A build from the command line starts from its on-disk caches (parse cache, manifest) and otherwise
computes everything again; `serve` keeps one Warm for its life and hands it to every build. Each
part is used only after checking that what it was made from is unchanged, by stamp, digest or
identity, so a part that no longer applies costs time, never a stale page:

- `stamps`: each content file's stamp and parse-cache key (load.FileStamps): unchanged files are
  neither read nor hashed again (a build from the command line has the ones the parse cache
  was saved with);
- `parse`: the parse cache, held in memory instead of read from disk at each build;
- `check`: what validating each file gave (validate.CheckMemo): unchanged files give the same
  model objects build after build, which the next part relies on (the first build starts from the
  one a build from the command line saved, check_cache);
- `keys`: each page's key with the inputs it was taken from (page_keys.KeyMemo);
- `exports`: each month's export fragments by their key, each export file's events with their
  files' digests, each feed's entries and each listing's date in the sitemap with the events they
  were taken from (export.ExportMemo);
- `search`: each shard's key for the search index with the events it was taken from
  (search.ShardKeyMemo);
- `manifest`: the writer's records of the last build (write.Manifest), not read back from disk.

The parse cache and the writer's records are saved at the first build and by `save`, which
`serve` calls when it stops: a build in another process then finds them up to date. `save` also
writes the check memo, by the rule a build from the command line follows (check_cache.save_memo:
when none was found, or 1 in SAVE_SHARE files changed since it was read). If that never happens
(serve killed), such a build finds older ones, which cost it time, never correctness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sitrep.check_cache import memo_path, save_memo
from sitrep.export import ExportMemo
from sitrep.load import FileStamps, ParseCache
from sitrep.page_keys import KeyMemo
from sitrep.search import ShardKeyMemo
from sitrep.validate import CheckMemo
from sitrep.write import Manifest


@dataclass(slots=True)
class Warm:
    """The state one site's builds in one process share (see the module's docstring)."""

    site: tuple[Path, Path, Path | None] | None = None
    """The content folder, output folder and parse cache the parts below belong to."""
    stamps: FileStamps = field(default_factory=dict)
    parse: ParseCache | None = None
    check: CheckMemo = field(default_factory=CheckMemo)
    keys: KeyMemo = field(default_factory=KeyMemo)
    exports: ExportMemo = field(default_factory=ExportMemo)
    search: ShardKeyMemo = field(default_factory=ShardKeyMemo)
    manifest: Manifest | None = None
    check_found: bool = False
    """Whether `check` started from a memo read from disk (check_cache)."""
    check_changes: int = 0
    """Files `check` read anew or dropped since then, over every build."""

    def for_site(self, content_dir: Path, out_dir: Path, cache_path: Path | None) -> Warm:
        """Return self, emptied first if it was filled by builds of another site."""
        site = (content_dir.resolve(), out_dir.resolve(), cache_path)
        if self.site != site:
            self.site = site
            self.stamps, self.parse = {}, None
            self.check, self.keys, self.exports, self.manifest = CheckMemo(), KeyMemo(), ExportMemo(), None
            self.search = ShardKeyMemo()
            self.check_found, self.check_changes = False, 0
        return self

    def save(self) -> None:
        """Write the parse cache and the writer's records for builds in other processes (builds here
        save them only at first). Call it holding the site's build lock."""
        if self.parse is not None:
            ParseCache(self.parse.path, {}, self.parse.entries).save(self.stamps, force=True)
        if self.manifest is not None:
            self.manifest.save()
        if (self.site is not None and self.site[2] is not None
                and save_memo(self.check, memo_path(self.site[2]), found=self.check_found,
                              changes=self.check_changes)):
            self.check_found, self.check_changes = True, 0
