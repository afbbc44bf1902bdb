"""SEC-01 image coverage: which images the compose model runs or builds, and when a scanned
reference names the same image (Docker Hub spelled out or not, implicit :latest, digests, IDs)."""

import pytest

from nestgate.rules.sec01_scan import ImageRef, image_ref, model_images, same_image


@pytest.mark.parametrize("raw,ref", [
    ("nginx", ImageRef("docker.io/library/nginx", "latest", "")),
    ("nginx:1.25-alpine", ImageRef("docker.io/library/nginx", "1.25-alpine", "")),
    ("docker.io/library/nginx:1.25", ImageRef("docker.io/library/nginx", "1.25", "")),
    ("index.docker.io/bitnami/redis", ImageRef("docker.io/bitnami/redis", "latest", "")),
    ("ghcr.io/org/app:2", ImageRef("ghcr.io/org/app", "2", "")),
    ("localhost:5000/app", ImageRef("localhost:5000/app", "latest", "")),
    ("localhost/app:1", ImageRef("localhost/app", "1", "")),
    ("nginx@sha256:abc", ImageRef("docker.io/library/nginx", "", "sha256:abc")),
    ("nginx:1.25@sha256:abc", ImageRef("docker.io/library/nginx", "1.25", "sha256:abc")),
    ("sha256:" + "a" * 64, ImageRef("", "", "", "a" * 64)),
    ("  MediaNest/Backend:1.4.2 ", ImageRef("docker.io/medianest/backend", "1.4.2", "")),
])
def test_image_ref_normalises_as_docker_reads_it(raw, ref):
    assert image_ref(raw) == ref


@pytest.mark.parametrize("model,scanned", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.25", "index.docker.io/library/nginx:1.25"),
    ("medianest/backend:1.4.2", "docker.io/medianest/backend:1.4.2"),
    ("nginx:1.25@sha256:abc", "nginx@sha256:abc"),  # the same digest
    ("nginx:1.25@sha256:abc", "nginx:1.25"),  # the scanner named the tag only
    ("nginx@sha256:abc", "other/name@sha256:abc"),  # a digest is the content, whatever the name
    ("sha256:" + "a" * 64, "a" * 12),  # a short image ID
])
def test_same_image(model, scanned):
    assert same_image(model, scanned)


@pytest.mark.parametrize("model,scanned", [
    ("nginx:1.25", "nginx:1.24"),
    ("nginx", "nginx:1.25"),  # implicit :latest is not 1.25
    ("myorg/nginx:1", "nginx:1"),
    ("ghcr.io/org/app:2", "docker.io/org/app:2"),
    ("nginx:1.25@sha256:abc", "nginx@sha256:def"),  # another digest: another image
    ("nginx@sha256:abc", "nginx:latest"),  # a digest-only image needs the digest
    ("nginx:1.25", "nginx@sha256:abc"),  # a digest alone does not say which tag
    ("nginx:1.25", "sha256:" + "a" * 64),
])
def test_not_the_same_image(model, scanned):
    assert not same_image(model, scanned)


def test_model_images_from_image_or_compose_default_name():
    services = {"app": {"image": "medianest/backend:1.4.2", "build": {"context": "."}},
                "worker": {"image": "medianest/backend:1.4.2"},
                "frontend": {"build": {"context": "./frontend"}},
                "nginx": {"image": "nginx:1.25-alpine"}}
    assert model_images(services, "medianest-staging") == {
        "medianest/backend:1.4.2": ["app", "worker"],
        "medianest-staging-frontend": ["frontend"],  # Compose v2 names a built image <project>-<service>
        "nginx:1.25-alpine": ["nginx"],
    }
    assert model_images({}, "p") == {}
