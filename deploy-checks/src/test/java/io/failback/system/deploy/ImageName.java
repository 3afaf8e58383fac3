package io.failback.system.deploy;

/**
 * An image reference split the way Kustomize and registries read it: the name, then an optional tag after the last
 * ':' that follows the last '/', then an optional digest after '@'.
 */
record ImageName(String name, String tag, String digest) {

    static ImageName parse(String image) {
        int at = image.indexOf('@');
        String digest = at < 0 ? null : image.substring(at + 1);
        String nameAndTag = at < 0 ? image : image.substring(0, at);
        int colon = nameAndTag.lastIndexOf(':');
        if (colon > nameAndTag.lastIndexOf('/')) {
            return new ImageName(nameAndTag.substring(0, colon), nameAndTag.substring(colon + 1), digest);
        }
        return new ImageName(nameAndTag, null, digest);
    }

    /** As Kustomize's images transformer: a new digest wins over a new tag, and either replaces both old ones. */
    ImageName replacedBy(String newName, String newTag, String newDigest) {
        String replacedName = newName == null ? name : newName;
        if (newDigest != null) {
            return new ImageName(replacedName, null, newDigest);
        }
        if (newTag != null) {
            return new ImageName(replacedName, newTag, null);
        }
        return new ImageName(replacedName, tag, digest);
    }

    @Override
    public String toString() {
        return name + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }
}
