#!/usr/bin/env python3
"""check.py: the deployment files cannot be run here (no Kubernetes, no
Docker), so this checks what can be checked without them.

  deploy/check.py agones FILE...      each YAML document parses and uses only
                                      fields of Agones' documented resources
  deploy/check.py docker DOCKERFILE BINARY
                                      Debian 12 base images, and the runtime
                                      stage installs the package of every
                                      shared library BINARY needs (NEEDED)

Exit status 0 when all is well, 1 with one line per problem otherwise.
"""
import re
import subprocess
import sys

import yaml

# A field tree: a dict maps field names to subtrees; ANY is a free-form map
# (labels, annotations, resource quantities); SCALAR a plain value; a list
# of one tree is a sequence of such items.
ANY = "any"
SCALAR = "scalar"

OBJECT_META = {"name": SCALAR, "namespace": SCALAR, "generateName": SCALAR,
               "labels": ANY, "annotations": ANY}

# Kubernetes PodTemplateSpec, the part a game server container uses
# (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/).
ENV_VAR = {"name": SCALAR, "value": SCALAR,
           "valueFrom": {"fieldRef": {"fieldPath": SCALAR, "apiVersion": SCALAR}}}
CONTAINER = {"name": SCALAR, "image": SCALAR, "imagePullPolicy": SCALAR,
             "command": [SCALAR], "args": [SCALAR], "env": [ENV_VAR],
             "resources": {"requests": ANY, "limits": ANY}}
POD_TEMPLATE = {"metadata": OBJECT_META,
                "spec": {"containers": [CONTAINER], "terminationGracePeriodSeconds": SCALAR,
                         "nodeSelector": ANY, "serviceAccountName": SCALAR}}

# GameServer spec (https://agones.dev/site/docs/reference/gameserver/).
GAMESERVER_SPEC = {
    "container": SCALAR,
    "ports": [{"name": SCALAR, "range": SCALAR, "portPolicy": SCALAR, "container": SCALAR,
               "containerPort": SCALAR, "hostPort": SCALAR, "protocol": SCALAR}],
    "health": {"disabled": SCALAR, "initialDelaySeconds": SCALAR, "periodSeconds": SCALAR,
               "failureThreshold": SCALAR},
    "sdkServer": {"logLevel": SCALAR, "grpcPort": SCALAR, "httpPort": SCALAR},
    "counters": ANY,
    "lists": ANY,
    "template": POD_TEMPLATE,
}

# Fleet (https://agones.dev/site/docs/reference/fleet/).
FLEET = {
    "apiVersion": SCALAR, "kind": SCALAR, "metadata": OBJECT_META,
    "spec": {"replicas": SCALAR, "scheduling": SCALAR,
             "strategy": {"type": SCALAR,
                          "rollingUpdate": {"maxSurge": SCALAR, "maxUnavailable": SCALAR}},
             "allocationOverflow": {"labels": ANY, "annotations": ANY},
             "priorities": [{"type": SCALAR, "key": SCALAR, "order": SCALAR}],
             "template": {"metadata": OBJECT_META, "spec": GAMESERVER_SPEC}},
}

# FleetAutoscaler (https://agones.dev/site/docs/reference/fleetautoscaler/).
FLEET_AUTOSCALER = {
    "apiVersion": SCALAR, "kind": SCALAR, "metadata": OBJECT_META,
    "spec": {"fleetName": SCALAR,
             "policy": {"type": SCALAR,
                        "buffer": {"bufferSize": SCALAR, "minReplicas": SCALAR,
                                   "maxReplicas": SCALAR}},
             "sync": {"type": SCALAR, "fixedInterval": {"seconds": SCALAR}}},
}

# GameServerAllocation (https://agones.dev/site/docs/reference/gameserverallocation/).
SELECTOR = {"matchLabels": ANY,
            "matchExpressions": [{"key": SCALAR, "operator": SCALAR, "values": [SCALAR]}],
            "gameServerState": SCALAR,
            "players": {"minAvailable": SCALAR, "maxAvailable": SCALAR}}
ALLOCATION = {
    "apiVersion": SCALAR, "kind": SCALAR, "metadata": OBJECT_META,
    "spec": {"selectors": [SELECTOR], "scheduling": SCALAR,
             "metadata": {"labels": ANY, "annotations": ANY}},
}

KINDS = {
    ("agones.dev/v1", "Fleet"): FLEET,
    ("autoscaling.agones.dev/v1", "FleetAutoscaler"): FLEET_AUTOSCALER,
    ("allocation.agones.dev/v1", "GameServerAllocation"): ALLOCATION,
}

# Values with a documented set of choices.
CHOICES = {
    "spec.scheduling": {"Packed", "Distributed"},
    "spec.strategy.type": {"RollingUpdate", "Recreate"},
    "spec.policy.type": {"Buffer", "Webhook", "Counter", "List"},
    "spec.template.spec.ports.portPolicy": {"Dynamic", "Static", "Passthrough", "None"},
    "spec.template.spec.ports.protocol": {"UDP", "TCP", "TCPUDP"},
    "spec.template.spec.sdkServer.logLevel": {"Info", "Debug", "Error", "Trace"},
    "spec.selectors.gameServerState": {"Ready", "Allocated"},
}


def walk(node, tree, path, problems):
    """Appends a problem for each field of node that tree does not have."""
    if tree == ANY:
        return
    if tree == SCALAR:
        if isinstance(node, (dict, list)):
            problems.append(f"{path}: expected a plain value")
        elif path in CHOICES and str(node) not in CHOICES[path]:
            problems.append(f"{path}: '{node}' is not one of {sorted(CHOICES[path])}")
        return
    if isinstance(tree, list):
        if not isinstance(node, list):
            problems.append(f"{path}: expected a list")
            return
        for item in node:
            walk(item, tree[0], path, problems)
        return
    if not isinstance(node, dict):
        problems.append(f"{path}: expected a map")
        return
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if key not in tree:
            problems.append(f"{where}: not a documented field")
        else:
            walk(value, tree[key], where, problems)


def check_agones(paths):
    problems = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            problems.append(f"{path}: {e}".replace("\n", " "))
            continue
        if not docs:
            problems.append(f"{path}: no YAML document")
        for doc in docs:
            if not isinstance(doc, dict):
                problems.append(f"{path}: a document is not a map")
                continue
            tree = KINDS.get((doc.get("apiVersion"), doc.get("kind")))
            if tree is None:
                problems.append(f"{path}: unknown apiVersion/kind "
                                f"{doc.get('apiVersion')}/{doc.get('kind')}")
                continue
            found = []
            walk(doc, tree, "", found)
            problems += [f"{path}: {p}" for p in found]
    return problems


# A sanitizer build (make test) links these; a release build does not.
SANITIZER_RUNTIMES = ("libasan.so", "libubsan.so")


def owner_package(path):
    """The Debian package that installed path (trying /usr/lib and /lib)."""
    for candidate in (path, path.replace("/usr/lib/", "/lib/", 1),
                      path.replace("/lib/", "/usr/lib/", 1)):
        owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if owner.returncode == 0 and owner.stdout:
            return owner.stdout.split(":")[0]
    return None


def needed_packages(binary):
    """The Debian package of each shared library binary names (NEEDED), as
    the dynamic loader resolves it (ldd)."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True,
                                       text=True, check=True).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", subprocess.run(
        ["ldd", binary], capture_output=True, text=True, check=True).stdout, flags=re.M))
    return {soname: owner_package(resolved[soname]) if soname in resolved else None
            for soname in needed if not soname.startswith(SANITIZER_RUNTIMES)}


def check_docker(dockerfile, binary):
    problems = []
    with open(dockerfile, encoding="utf-8") as f:
        text = f.read()
    stages = re.split(r"^FROM\s+", text, flags=re.M)[1:]
    if not stages:
        problems.append(f"{dockerfile}: no FROM")
    for stage in stages:
        image = stage.split()[0]
        if not re.fullmatch(r"debian:(12|bookworm)(-slim)?", image):
            problems.append(f"{dockerfile}: base image {image} is not Debian 12")
    runtime = stages[-1] if stages else ""
    installed = set()
    for cmd in re.findall(r"apt-get install([^&\n]*)", runtime.replace("\\\n", " ")):
        installed |= {w for w in cmd.split() if not w.startswith("-")}
    base = {"libc6", "libgcc-s1"}  # in every Debian image
    try:
        needed = needed_packages(binary)
    except (OSError, subprocess.CalledProcessError) as e:
        return problems + [f"{binary}: cannot read its libraries: {e}"]
    for soname, package in sorted(needed.items()):
        if package is None:
            problems.append(f"{binary}: no Debian package provides {soname}")
        elif package.split(":")[0] not in installed | base:
            problems.append(f"{dockerfile}: the runtime stage does not install {package} "
                            f"({soname})")
    return problems


def main(argv):
    if len(argv) >= 3 and argv[1] == "agones":
        problems = check_agones(argv[2:])
    elif len(argv) == 4 and argv[1] == "docker":
        problems = check_docker(argv[2], argv[3])
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for p in problems:
        print(f"check: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
