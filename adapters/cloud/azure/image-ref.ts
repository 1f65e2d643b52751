/**
 * The image references the Azure adapter understands:
 * - a marketplace URN `Publisher:Offer:Sku:Version` (Version may be `latest`), as `az vm image list` prints it;
 * - a managed image id `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/images/<name>`;
 * - a Compute Gallery image version id
 *   `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/galleries/<g>/images/<def>/versions/<v>`.
 */
export type ImageRef =
  | { readonly kind: 'marketplace'; readonly publisher: string; readonly offer: string; readonly sku: string; readonly version: string }
  | { readonly kind: 'managed'; readonly id: string; readonly subscriptionId: string; readonly resourceGroup: string; readonly name: string }
  | {
      readonly kind: 'gallery';
      readonly id: string;
      readonly subscriptionId: string;
      readonly resourceGroup: string;
      readonly gallery: string;
      readonly image: string;
      readonly version: string;
    };

const URN_PART = '([A-Za-z0-9][A-Za-z0-9._-]{0,99})';
const URN = new RegExp(`^${URN_PART}:${URN_PART}:${URN_PART}:(latest|\\d+(?:\\.\\d+){0,3})$`);
const SEG = '([^/]{1,90})';
const MANAGED = new RegExp(`^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Compute/images/${SEG}$`, 'i');
const GALLERY = new RegExp(
  `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Compute/galleries/${SEG}/images/${SEG}/versions/${SEG}$`,
  'i',
);

/** Parse a reference; undefined when it is none of the forms above. */
export function parseImageRef(ref: string): ImageRef | undefined {
  const urn = URN.exec(ref);
  if (urn) return { kind: 'marketplace', publisher: urn[1]!, offer: urn[2]!, sku: urn[3]!, version: urn[4]! };
  const managed = MANAGED.exec(ref);
  if (managed) return { kind: 'managed', id: ref, subscriptionId: managed[1]!, resourceGroup: managed[2]!, name: managed[3]! };
  const gallery = GALLERY.exec(ref);
  if (gallery) {
    return {
      kind: 'gallery',
      id: ref,
      subscriptionId: gallery[1]!,
      resourceGroup: gallery[2]!,
      gallery: gallery[3]!,
      image: gallery[4]!,
      version: gallery[5]!,
    };
  }
  return undefined;
}

export function formatUrn(r: { publisher: string; offer: string; sku: string; version: string }): string {
  return `${r.publisher}:${r.offer}:${r.sku}:${r.version}`;
}

/** Compare marketplace image versions (dotted numbers such as 22.04.202501150) numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `West Europe`, `westeurope` and `WestEurope` are the same Azure location. */
export function sameLocation(a: string | undefined, b: string): boolean {
  return a !== undefined && a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();
}
