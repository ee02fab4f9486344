/**
 * `bottleneck/light.js` is Bottleneck without its Redis clustering, the build Octokit's
 * throttling plugin itself loads; its typings are those of the full package.
 */
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck'
  export default Bottleneck
}
