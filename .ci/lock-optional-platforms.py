"""Records the platform-specific optional packages (native bindings for other OS/CPU combinations) that npm
leaves out of package-lock.json when the registry it used does not serve them; `npm ci` otherwise refuses the
lock as out of sync. os/cpu/libc are read from the package name; npm skips such entries on other platforms.
Run after changing dependencies: python3 .ci/lock-optional-platforms.py package-lock.json"""
import json, sys
path = sys.argv[1]
l = json.load(open(path))
pk = l['packages']
missing = set()
for key, e in list(pk.items()):
    for name, ver in (e.get('optionalDependencies') or {}).items():
        if 'node_modules/' + name not in pk:
            missing.add((name, ver))
OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd']
CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'loong64', 'riscv64', 'wasm32', 'mips64el']
for name, ver in sorted(missing):
    base = name.split('/')[-1]
    parts = base.replace('_', '-').split('-')
    entry = {'version': ver}
    os_ = [p for p in parts if p in OS]
    cpu = [p for p in parts if p in CPU]
    if 'wasi' in parts or 'wasm32' in parts:
        cpu = ['wasm32']
    if cpu: entry['cpu'] = cpu[:1]
    if 'musl' in parts or 'musleabihf' in parts: entry['libc'] = ['musl']
    elif 'gnu' in parts or 'gnueabihf' in parts: entry['libc'] = ['glibc']
    entry['optional'] = True
    if os_: entry['os'] = os_[:1]
    if not cpu and not os_:
        sys.exit(f'cannot tell the platform of {name}')
    pk['node_modules/' + name] = entry
    print('added', name, ver, entry.get('os'), entry.get('cpu'), entry.get('libc'))
l['packages'] = dict(sorted(pk.items(), key=lambda kv: (kv[0] != '', kv[0])))
with open(path, 'w') as f:
    json.dump(l, f, indent=2)
    f.write('\n')
