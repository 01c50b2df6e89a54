import type { Response } from 'express';
import { UnauthenticatedError } from '../../platform/errors/index.ts';
import type { Viewer } from './layout.ts';

const KEY = 'eventlineConsoleViewer';

export function setViewer(res: Response, viewer: Viewer): void {
  res.locals[KEY] = viewer;
}

/** The signed-in viewer; every console page but sign-in has one. */
export function viewerOf(res: Response): Viewer {
  const viewer = res.locals[KEY] as Viewer | undefined;
  if (!viewer) throw new UnauthenticatedError('sign in first');
  return viewer;
}
