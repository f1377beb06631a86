# The checkout's own virtual environment, sourced by scripts/example.sh and scripts/test.sh.
#
#   venv_create REPO             REPO/.venv: created with the first `python3` on the PATH when it is
#                                missing (pip upgraded in it), reused after; then first on PATH for
#                                the rest of the calling script, so `python`, `estimig` and
#                                `pre-commit` are the venv's and the user's interpreter is never
#                                installed into. ESTIMIG_VENV names another folder for it.
#   venv_install REPO [EXTRAS]   installs REPO into it, editable, with EXTRAS (e.g. "test"), unless
#                                the same install of the same pyproject.toml was done before.

venv_create() {
    local venv="${ESTIMIG_VENV:-$1/.venv}"
    if [ ! -e "$venv" ]; then
        if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
            echo "error: estimig needs Python 3.9 or newer as python3 on the PATH to create $venv" >&2
            exit 2
        fi
        echo "creating the virtual environment $venv (once; later runs reuse it)" >&2
        _venv_quietly python3 -m venv --upgrade-deps "$venv" || {
            echo "error: python3 -m venv failed (on Debian or Ubuntu: apt-get install python3-venv)" >&2
            exit 2
        }
    fi
    if ! "$venv/bin/python" -c '' 2>/dev/null; then
        echo "error: $venv is not a working virtual environment (made by a Python since removed?);" \
             "delete it and run again" >&2
        exit 2
    fi
    export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
}

venv_install() {
    local repo="$1" extras="${2:-}" sum stamp done_before
    # Reinstall only when pyproject.toml changed: an editable install already follows the code.
    # Every extra includes the core dependencies, so any install of this pyproject.toml also covers a plain one.
    sum="$(cksum <"$repo/pyproject.toml")"
    stamp="$extras $sum"
    if [ -n "$extras" ]; then done_before=(-qxF "$stamp"); else done_before=(-qF " $sum"); fi
    grep "${done_before[@]}" "$VIRTUAL_ENV/.estimig-installed" 2>/dev/null && return 0
    echo "installing estimig${extras:+[$extras]} into $VIRTUAL_ENV" >&2
    PIP_DISABLE_PIP_VERSION_CHECK=1 _venv_quietly "$VIRTUAL_ENV/bin/python" -m pip install -q -e \
        "$repo${extras:+[$extras]}" || exit 2
    echo "$stamp" >>"$VIRTUAL_ENV/.estimig-installed"
}

# Runs a command with its output kept back, shown only when it fails (pip's notices are noise).
_venv_quietly() {
    local log status=0
    log="$(mktemp)"
    "$@" >"$log" 2>&1 || status=$?
    [ "$status" -eq 0 ] || cat "$log" >&2
    rm -f "$log"
    return "$status"
}
