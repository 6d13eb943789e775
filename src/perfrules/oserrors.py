"""Operating-system errors in the user's language: Chinese messages quote the reason in
Chinese (the system's own text is English)."""
from __future__ import annotations

import errno

_ZH = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "只读的文件系统",
    errno.EEXIST: "文件已存在",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EMFILE: "打开的文件太多",
}


def os_reason(err: BaseException, lang: str = "zh") -> str:
    """Why an OSError happened, in `lang` (zh falls back to the system's text when unknown)."""
    text = getattr(err, "strerror", None) or str(err)
    if lang == "zh":
        return _ZH.get(getattr(err, "errno", None), text)
    return text
