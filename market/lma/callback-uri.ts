/**
 * What a party may give as its callbackURI, whatever the network: an absolute http(s) URL without
 * credentials. (file:, gopher:, javascript: and the like are never delivered to.) Which hosts and
 * networks the LMA may reach is the operator's network policy, checked by the adapter that
 * delivers (LmaOptions.checkCallbackURI), at registration and again at each delivery.
 */
export function callbackURIProblem (uri: string): string | undefined {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return 'not an absolute URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not allowed: http or https only`
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not allowed'
  if (url.hostname === '') return 'no host'
  return undefined
}
