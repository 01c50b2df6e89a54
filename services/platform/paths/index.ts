export { projectRoot } from './project-root.ts';
