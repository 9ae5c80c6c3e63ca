// Locations the tests share beyond the lab's.

import { ROOT } from '../../lab/paths.ts';

export { BUNDLE, bundleFiles, QJS, ROOT } from '../../lab/paths.ts';
export const GOLDEN = `${ROOT}test/golden`;
