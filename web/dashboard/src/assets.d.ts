// Style sheets are bundled by esbuild; importing one yields nothing in TypeScript.
declare module "*.css";
